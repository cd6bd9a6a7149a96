/**
 * approve-kubelet-csrs: after the nodes phase started the kubelets, approve their certificate
 * requests and wait for the nodes. Each round lists the CSRs and judges every one with decideCsr
 * (pki-spec.md §3: only requests matching an inventory node, its IPs and kubesmith's bootstrap
 * token are approved; others are left alone), until every node of the run has an issued client and
 * serving certificate; then the Node objects must turn Ready (flannel up; with `cluster.cni: none`
 * a node waiting only for a CNI is reported, not failed, after a short grace). Stragglers fail as
 * their host, with the reason the API gives. A kubelet re-bootstrapping after its certificate expired
 * counts only once the host holds a valid certificate again (_kubelet-certs.ts). Dry-run says what would be approved and calls nothing;
 * nodes whose kubelet is a stub (not started) are skipped with that reason.
 */
import { approveRound, type NodeCertStatus } from '../../kube/approve-csrs.js';
import { waitForNodesReady, waitsForCni, type NodeReadiness } from '../../kube/addons.js';
import { abortableSleep, type KubeClient } from '../../kube/client.js';
import { hostsWithRole } from '../../inventory/types.js';
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { HostFacts, Phase, PhaseContext, PhaseReport } from '../phase.js';
import { apiHost, gatherRunnable, notRunnableReason, unitBinary, withApi, type ApiAccess } from './_api-access.js';
import { expiredKubeletCerts, type KubeletCertTracker } from './_kubelet-certs.js';

const KUBELET = 'kubelet.service';
const APISERVER = 'kube-apiserver.service';
/**
 * With `cluster.cni: none` a node is NotReady until the operator's CNI is in place; apply waits this
 * long for a CNI that is already there (a pre-written conflist), then reports the node as waiting
 * for one instead of failing it.
 */
export const CNI_NONE_READY_GRACE_MS = 60_000;
const CNI_NONE_NOTE = 'cluster.cni is none: install a CNI, then the node turns Ready';

/** Loop settings (tests poll faster). */
export interface ApproveLoopOptions {
  /** Pause between CSR rounds and Node polls. @default 3000 */
  readonly pollMs?: number;
  /** How long to wait for Ready with `cluster.cni: none`. @default CNI_NONE_READY_GRACE_MS */
  readonly cniGraceMs?: number;
}

/**
 * Rounds of approveRound until every named node has both certificates or the deadline passes. With
 * `onHost`, a node whose certificate file on the host is expired does not count as having that
 * certificate, whatever old CSRs or its Node object say (_kubelet-certs.ts): a re-bootstrapping
 * kubelet's new CSRs are still waited for and approved.
 */
export async function approveUntilIssued(client: KubeClient, plan: ClusterPlan, nodes: readonly string[], ctx: PhaseContext, pollMs: number, onHost?: KubeletCertTracker): Promise<readonly NodeCertStatus[]> {
  await onHost?.start(nodes);
  const wanted = new Set(nodes);
  for (;;) {
    const round = await approveRound({
      client,
      inventory: plan.inventory,
      clock: ctx.clock,
      bootstrapTokenIds: [plan.bootstrapToken.id],
      denyUnknown: false,
      watch: false,
      timeoutMs: 0,
      signal: ctx.signal,
    });
    await onHost?.refresh();
    const mine = round.nodes.filter((n) => wanted.has(n.node)).map((n) => {
      const expired = onHost?.get(n.node);
      return expired ? { ...n, client: n.client && !expired.client, serving: n.serving && !expired.serving } : n;
    });
    if (mine.every((n) => n.client && n.serving) || ctx.clock.now().getTime() + pollMs > ctx.deadline) return mine;
    // Approved CSRs need a moment for the signer: re-list soon after acting.
    await abortableSleep(round.acted > 0 ? Math.min(pollMs, 500) : pollMs, ctx.signal);
  }
}

/** Why a node's kubelet cannot take part (the service phases' test), probed only when this run has not judged it. */
async function kubeletSkip(reader: HostReader, planned: PlannedHost, ctx: PhaseContext, known: HostFacts = {}): Promise<string | undefined> {
  const bin = unitBinary(planned, 'nodes', KUBELET);
  const facts = bin ? { ...known, ...(await gatherRunnable(reader, known, [bin], ctx)) } : known;
  return notRunnableReason(planned, facts, 'nodes', KUBELET);
}

/**
 * The whole approval for the hosts of the run; a table plus per-host failures. `known` holds the
 * runnable facts gather found per host (a report gets readers only): what they settle is not probed.
 */
export async function approveReport(
  access: ApiAccess,
  hosts: ReadonlyMap<string, HostReader>,
  plan: ClusterPlan,
  ctx: PhaseContext,
  o: ApproveLoopOptions = {},
  known: ReadonlyMap<string, HostFacts> = new Map(),
): Promise<PhaseReport> {
  const title = 'Kubelet certificates and node readiness';
  const columns = ['NODE', 'CLIENT CERT', 'SERVING CERT', 'READY'];
  const byName = new Map(plan.hosts.map((h) => [h.host.name, h]));
  const planned = (name: string): PlannedHost | undefined => byName.get(name);
  const skipped: string[][] = [];
  const wanted: string[] = [];
  const reasons = await Promise.all(
    [...hosts].map(async ([name, reader]) => {
      const p = planned(name);
      return [name, p ? await kubeletSkip(reader, p, ctx, known.get(name)) : `${name} is not in the plan`] as const;
    }),
  );
  for (const [name, why] of reasons) {
    if (why) skipped.push([name, '-', '-', `skipped: ${why}`]);
    else wanted.push(name);
  }
  const via = apiHost(plan, [...hosts.keys()]) ?? hostsWithRole(plan.inventory, 'control-plane')[0]?.name;
  const viaReader = via === undefined ? undefined : hosts.get(via);
  const viaPlanned = via === undefined ? undefined : planned(via);
  const apiSkip = via === undefined ? 'the inventory has no control-plane host' : viaReader && viaPlanned ? await apiserverSkip(viaReader, viaPlanned, ctx, known.get(via)) : undefined;
  if (wanted.length === 0 || apiSkip) {
    const reason = apiSkip ? `skipped: ${apiSkip}` : undefined;
    return { title: `${title} (skipped)`, columns, rows: [...skipped, ...wanted.map((n) => [n, '-', '-', reason ?? ''])], failures: [] };
  }
  try {
    return await withApi(access, plan, via as string, 'admin', ctx, async (client) => {
      const certs = await approveUntilIssued(client, plan, wanted, ctx, o.pollMs ?? 3000, expiredKubeletCerts(hosts, plan, ctx));
      const issued = certs.filter((c) => c.client && c.serving).map((c) => c.node);
      const cniNone = plan.inventory.cluster.cni === 'none';
      const deadline = cniNone ? Math.min(ctx.deadline, ctx.clock.now().getTime() + (o.cniGraceMs ?? CNI_NONE_READY_GRACE_MS)) : ctx.deadline;
      const ready = issued.length === 0 ? [] : (await waitForNodesReady(client, issued, new Date(deadline), ctx.signal, { clock: ctx.clock, pollMs: o.pollMs ?? 3000 })).nodes;
      return tabulate(title, columns, wanted, certs, ready, skipped, cniNone);
    });
  } catch (err) {
    const message = `approving kubelet certificates through ${via}: ${err instanceof Error ? err.message : String(err)}`;
    return { title, columns, rows: [...wanted.map((n) => [n, '?', '?', 'API error']), ...skipped], failures: wanted.map((host) => ({ host, message })) };
  }
}

async function apiserverSkip(reader: HostReader, p: PlannedHost, ctx: PhaseContext, known: HostFacts = {}): Promise<string | undefined> {
  const bin = unitBinary(p, 'control-plane', APISERVER);
  return notRunnableReason(p, bin ? { ...known, ...(await gatherRunnable(reader, known, [bin], ctx)) } : known, 'control-plane', APISERVER);
}

function tabulate(title: string, columns: readonly string[], wanted: readonly string[], certs: readonly NodeCertStatus[], ready: readonly NodeReadiness[], skipped: readonly string[][], cniNone: boolean): PhaseReport {
  const failures: { host: string; message: string }[] = [];
  const rows = wanted.map((n) => {
    const c = certs.find((x) => x.node === n);
    const r = ready.find((x) => x.name === n);
    const missing = [c?.client ? '' : 'client', c?.serving ? '' : 'serving'].filter(Boolean);
    if (missing.length > 0) {
      failures.push({ host: n, message: `no issued kubelet ${missing.join(' and ')} certificate by the deadline: is kubelet running and does its CSR match the inventory? see \`journalctl -u kubelet\` and \`kubesmith approve\`` });
    } else if (r && !r.ready && !(cniNone && waitsForCni(r))) {
      failures.push({ host: n, message: `node not Ready by the deadline: ${r.reason ?? 'unknown'}` });
    }
    const cniWait = r && cniNone && waitsForCni(r) ? ` (${CNI_NONE_NOTE})` : '';
    return [n, c?.client ? 'issued' : 'missing', c?.serving ? 'issued' : 'missing', r ? (r.ready ? 'Ready' : `NotReady: ${r.reason ?? ''}${cniWait}`) : '-'];
  });
  return { title, columns, rows: [...rows, ...skipped], failures };
}

/** The phase, talking to the API through `access`. */
export function approveKubeletCsrsPhase(access: ApiAccess, o: ApproveLoopOptions = {}): Phase {
  // What gather judged per host in this run (the service phases' runnable facts, merged), for the report.
  const known = new Map<string, HostFacts>();
  return {
    id: 'approve-kubelet-csrs',
    title: 'Approve kubelet certificates',
    // Kubelets bootstrap only after containerd, the image imports and the CNI are up; approving both
    // certificates and waiting for Ready takes minutes on a real cluster, not the default 2.
    deadlineMs: 10 * 60_000,
    hosts: (plan) => plan.hosts.filter((h) => h.host.roles.includes('worker') || h.host.roles.includes('control-plane')),
    gather: async (host, { host: planned, facts }, ctx) => {
      const bin = unitBinary(planned, 'nodes', KUBELET);
      const got = bin ? await gatherRunnable(host, facts, [bin], ctx) : {};
      known.set(planned.host.name, { runnable: got.runnable ?? facts.runnable ?? new Map() });
      return got;
    },
    plan: ({ host, facts, plan }) => {
      const skip = notRunnableReason(host, facts, 'nodes', KUBELET);
      const cni = plan.inventory.cluster.cni === 'none' ? ` (${CNI_NONE_NOTE}; nodes stay NotReady until then)` : '';
      return [{ kind: 'note', message: skip ? `kubelet CSRs not approved: ${skip}` : `API: approve ${host.host.name}'s kubelet client and serving CSRs that match the inventory, then wait for the node to be Ready${cni}` }];
    },
    report: (hosts, plan, ctx) => approveReport(access, hosts, plan, ctx, o, known),
  };
}
