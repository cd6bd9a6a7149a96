/**
 * `kubesmith remove HOST` for a node (a worker or a control-plane host, possibly also an etcd
 * member), as phases for the one runner and executor:
 *   node-drain (API, through a control-plane host: cordon, evict every pod but DaemonSet and static
 *     ones, PodDisruptionBudgets respected, up to the timeout; a refusal or a timeout stops the whole
 *     removal with the node cordoned and nothing else changed) ->
 *   api-proxy-out (a control-plane host only: marked `down` in every other host's API proxy) ->
 *   node-teardown (on HOST: kubelet stopped first so it cannot re-register the Node, its containers
 *     killed, kube-proxy's rules removed, every kubesmith unit but etcd disabled (the control
 *     plane's too); kubesmith's files
 *     removed and the kubelet's directory moved aside unless kept) ->
 *   node-delete (API: the Node object deleted; pods still bound to it are collected by the cluster) ->
 *   then, for an etcd member, the etcd removal (etcd-remove.ts), whose teardown removes the rest.
 * A host that cannot be reached is drained without waiting for its pods to terminate (no kubelet
 * will act on the deletion marks) and its Node deleted; the command says what is left on it.
 */
import { hostsWithRole } from '../../inventory/types.js';
import { drainNode, type DrainRules } from '../../kube/drain.js';
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import { remoteLayout } from '../../render/layout.js';
import { etcdRemovalGate } from './etcd-remove.js';
import type { Phase, PhaseContext, PhaseReport, Step } from '../phase.js';
import { apiHost, withApi, type ApiAccess } from './_api-access.js';
import { dataDirStep, removeFilesSteps } from './_teardown.js';
import { apiProxyDrainSteps } from './_api-proxy-drain.js';
import type { KubeClient } from '../../kube/client.js';

export interface NodeRemoval extends DrainRules {
  readonly target: string;
  readonly drainTimeoutMs: number;
  readonly keepData: boolean;
}

const targetOnly = (plan: ClusterPlan, target: string): readonly PlannedHost[] => plan.hosts.filter((h) => h.host.name === target);
const apiHosts = (plan: ClusterPlan, target: string): readonly PlannedHost[] => {
  const cps = new Set(hostsWithRole(plan.inventory, 'control-plane').map((h) => h.name));
  return plan.hosts.filter((h) => cps.has(h.host.name) || h.host.name === target);
};
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** An API action through the first reachable control-plane host; a failure is every host's, so the removal stops there. */
async function viaApi(access: ApiAccess, hosts: ReadonlyMap<string, unknown>, plan: ClusterPlan, target: string, title: string, ctx: PhaseContext, fn: (client: KubeClient) => Promise<PhaseReport>): Promise<PhaseReport> {
  const all = [...new Set([...hosts.keys(), target])];
  // Never through the host being removed: a control-plane target's apiserver stops on the way.
  const via = apiHost(plan, [...hosts.keys()].filter((h) => h !== target));
  if (via === undefined) return { title, columns: [], rows: [], failures: all.map((host) => ({ host, message: `${title}: no control-plane host answers, so the API cannot be reached; nothing was changed` })) };
  try {
    return await withApi(access, plan, via, 'admin', ctx, fn);
  } catch (err) {
    return { title, columns: [], rows: [], failures: all.map((host) => ({ host, message: `${title} through ${via}: ${message(err)}` })) };
  }
}

/** What the drain saw, for the Node's deletion: a host that answered must have been torn down first. */
interface Seen {
  reachable?: boolean;
}

/** Cordon and drain HOST through the API. */
function nodeDrain(access: ApiAccess, r: NodeRemoval, seen: Seen): Phase {
  return {
    id: 'node-drain',
    title: `Cordon and drain ${r.target}`,
    deadlineMs: r.drainTimeoutMs + 120_000,
    // Every host of the run, so a refused or timed-out drain is every host's failure and no later
    // phase runs anywhere (an etcd member that is no control plane would otherwise go on to remove
    // the target from etcd; seen on a real cluster).
    hosts: (plan) => plan.hosts,
    plan: ({ host }): readonly Step[] =>
      host.host.name !== r.target ? [] : [{ kind: 'note', message: `API: cordon ${r.target}, evict its pods (PodDisruptionBudgets respected; DaemonSet and static pods stay) and wait up to ${Math.round(r.drainTimeoutMs / 1000)} s for them to go` }],
    report: (hosts, plan, ctx) =>
      viaApi(access, hosts, plan, r.target, `Drain ${r.target}`, ctx, async (client) => {
        const title = `Drain ${r.target}`;
        seen.reachable = hosts.has(r.target);
        if ((await client.get(`/api/v1/nodes/${encodeURIComponent(r.target)}`)) === undefined) {
          return { title, columns: ['NODE', 'DRAIN'], rows: [[r.target, 'no Node object: nothing to drain']], failures: [] };
        }
        const out = await drainNode(client, r.target, { ...r, timeoutMs: r.drainTimeoutMs, clock: ctx.clock, signal: ctx.signal, kubeletGone: !seen.reachable });
        const rows = [...out.evicted.map((p) => [p, out.ok && out.refusals[p] ? `evicted after ${out.refusals[p]} refusal${out.refusals[p] === 1 ? '' : 's'} (disruption budget)` : 'evicted']), ...(out.ok ? out.stay.map((s) => [s.pod, `stays: ${s.why}`]) : [])];
        if (out.ok) return { title, columns: ['POD', 'OUTCOME'], rows: rows.length > 0 ? rows : [['-', 'no pod to evict']], failures: [] };
        const hint = out.cordoned ? ` (${r.target} stays cordoned: run the removal again, or \`kubectl uncordon ${r.target}\` to give up)` : '; nothing was changed';
        return { title, columns: ['POD', 'OUTCOME'], rows, failures: [...new Set([...hosts.keys(), r.target])].map((host) => ({ host, message: `${out.error}${hint}` })) };
      }),
  };
}

/**
 * $1 ctr, $2 containerd socket, $3 kube-proxy ("-": none). kubelet is stopped before this runs; its
 * containers are killed (the shims outlive containerd, KillMode=process), kube-proxy's rules removed.
 */
const STOP_PODS_SH = `ctr=$1 sock=$2 proxy=$3
if [ -x "$ctr" ] && [ -S "$sock" ]; then
  for t in $("$ctr" -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do "$ctr" -a "$sock" -n k8s.io tasks kill -s SIGKILL "$t" 2>/dev/null; done
  sleep 1
  for t in $("$ctr" -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do "$ctr" -a "$sock" -n k8s.io tasks rm -f "$t" >/dev/null 2>&1; done
fi
if [ "$proxy" != - ] && [ -x "$proxy" ]; then systemctl stop kube-proxy.service 2>/dev/null; "$proxy" --cleanup >/dev/null 2>&1 || true; fi
exit 0`;


/** Stops and disables HOST's node services; removes kubesmith's files unless etcd's teardown does it later. */
function nodeTeardown(r: NodeRemoval, etcdFollows: boolean): Phase {
  return {
    id: 'node-teardown',
    title: `Stop the node services on ${r.target}`,
    hosts: (plan) => targetOnly(plan, r.target),
    plan: ({ plan, host }): readonly Step[] => {
      const layout = remoteLayout(plan.inventory);
      const units = host.artifacts.map((a) => a.path.split('/').at(-1) ?? '').filter((u) => u.endsWith('.service') && u !== 'etcd.service');
      const ctr = host.artifacts.find((a) => a.path.endsWith('/ctr'))?.path ?? `${layout.containerdBin}/ctr`;
      const proxy = host.artifacts.find((a) => a.path.endsWith('/kube-proxy'))?.path ?? '-';
      const quiet = (list: readonly string[]) => ['sh', '-c', 'for u in "$@"; do systemctl is-active --quiet "$u" && exit 1; systemctl is-enabled --quiet "$u" 2>/dev/null && exit 1; done; exit 0', 'quiet', ...list];
      const steps: Step[] = [
        { kind: 'exec', argv: ['systemctl', 'stop', 'kubelet.service'], unless: quiet(['kubelet.service']), why: 'the kubelet first: a running kubelet would register the Node again', label: 'systemctl stop kubelet.service' },
        { kind: 'exec', argv: ['sh', '-c', STOP_PODS_SH, 'stop-pods', ctr, layout.containerdSocket, proxy], unless: quiet(units), why: "the node's containers do not outlive it", label: "kill the node's containers (ctr), remove kube-proxy's rules (kube-proxy --cleanup)", tolerate: 'containers or rules may be left; `ctr -n k8s.io tasks ls` shows them' },
        { kind: 'exec', argv: ['systemctl', 'disable', '--now', ...units], unless: quiet(units), why: 'a removed node must not start again', label: `systemctl disable --now ${units.join(' ')}` },
      ];
      // An etcd member's teardown comes later and removes every file of the host, its own included.
      if (!etcdFollows) steps.push(...removeFilesSteps(host.artifacts, 'units, binaries, certificates and keys, configs'));
      steps.push(dataDirStep(layout.kubeletRoot, r.keepData, "the kubelet's certificates and state must not let a later kubelet on this host act as the removed node"));
      return steps;
    },
  };
}

/**
 * Deletes HOST's Node object once its kubelet is stopped: when HOST answered the drain but is not
 * here now, its teardown failed and the kubelet may still run (it would register the Node again).
 */
function nodeDelete(access: ApiAccess, target: string, seen: Seen): Phase {
  return {
    id: 'node-delete',
    title: `Delete the Node ${target}`,
    hosts: (plan) => apiHosts(plan, target),
    plan: ({ host }): readonly Step[] => (host.host.name === target ? [{ kind: 'note', message: `API: delete the Node ${target}` }] : []),
    report: (hosts, plan, ctx) =>
      seen.reachable === true && !hosts.has(target)
        ? Promise.resolve({ title: `Delete the Node ${target}`, columns: [], rows: [], failures: [{ host: target, message: `the Node ${target} was not deleted: its services could not be stopped (above), and a running kubelet would register it again` }] })
        : viaApi(access, hosts, plan, target, `Delete the Node ${target}`, ctx, async (client) => {
        const deleted = await client.remove(`/api/v1/nodes/${encodeURIComponent(target)}`);
        return { title: `Delete the Node ${target}`, columns: ['NODE', 'RESULT'], rows: [[target, deleted ? 'deleted' : 'already gone']], failures: [] };
      }),
  };
}

/**
 * A control-plane target leaves every API proxy (the other nodes' local proxies, the VIP balancers)
 * before its apiserver stops: each marks it `down` and reloads (_api-proxy-drain.ts), so no new
 * connection goes to it, and the connections it holds end as it shuts down. The next apply,
 * without HOST in the inventory, renders the proxies without it.
 */
function apiProxyOut(target: string): Phase {
  return {
    id: 'api-proxy-out',
    title: `Take ${target} out of every API proxy`,
    hosts: (plan) => {
      const steps = apiProxyDrainSteps(plan, [target]);
      return plan.hosts.filter((h) => h.host.name !== target && steps.has(h.host.name));
    },
    plan: ({ plan, host }) => apiProxyDrainSteps(plan, [target]).get(host.host.name) ?? [],
  };
}

/** The removal program of a node; an etcd member's removal follows (its teardown removes kubesmith's files). */
export function nodeRemovePhases(access: ApiAccess, r: NodeRemoval, etcd: readonly Phase[], controlPlane = false): readonly Phase[] {
  const seen: Seen = {};
  // An etcd removal that would be refused for the quorum is refused before the drain changes anything.
  const gate = etcd.length > 0 ? etcdRemovalGate(r.target) : [];
  return [...gate, nodeDrain(access, r, seen), ...(controlPlane ? [apiProxyOut(r.target)] : []), nodeTeardown(r, etcd.length > 0), nodeDelete(access, r.target, seen), ...etcd];
}
