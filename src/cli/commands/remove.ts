/**
 * `kubesmith remove HOST` for a worker, a control-plane host or an etcd member (or a node that is
 * one): the removal program (deploy/phases/node-remove.ts, etcd-remove.ts) through the one runner
 * and executor, then
 * the local part: the state forgets HOST (certificates archived, never deleted; the record of
 * started etcd members). The plan is built from the stored PKI state (read only), as the other
 * etcd commands.
 */
import { applyApi } from '../apply-api.js';
import { connect } from '../../deploy/phases/connect.js';
import { etcdRemoveSteps } from '../../deploy/phases/etcd-remove.js';
import { lock } from '../../deploy/phases/lock.js';
import { nodeRemovePhases } from '../../deploy/phases/node-remove.js';
import { hostsWithRole } from '../../inventory/types.js';
import { drainOptions } from '../drain-options.js';
import { apiProxyHosts, checkControlPlaneRemoval, controlPlaneRemovedLines } from '../remove-control-plane.js';
import { formatIssue, PhaseError, UsageError } from '../../shared/errors.js';
import { loadInventory } from '../../state/load-inventory.js';
import { boolOpt, stringOpt, type CommandContext } from '../command.js';
import { etcdPlan } from '../etcd-plan.js';
import { runEtcdProgram, type StepLine } from './_etcd-run.js';

/** Runs the command; exit 0 when HOST left the cluster (and its host was cleaned when reachable). */
export async function runRemove(ctx: CommandContext): Promise<number> {
  const [name, ...extra] = ctx.positionals;
  const file = stringOpt(ctx, 'inventory', 'inventory.yaml');
  // The inventory first: a wrong -i is named as such before anything about the host.
  const { inventory: inv, warnings } = await loadInventory(file, ctx.cwd);
  if (name === undefined || extra.length > 0) throw new UsageError(`remove: ${name === undefined ? 'name the host to remove' : 'name one host at a time'}`, { hint: `kubesmith remove -i ${file} HOST [--dry-run]` });
  for (const w of warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
  const host = inv.hosts.find((h) => h.name === name);
  if (!host) throw new UsageError(`remove: ${name} is not a host of ${inv.source}`, { hint: `kubesmith reaches the host by its inventory entry: keep it there until \`kubesmith remove ${name}\` has run; hosts: ${inv.hosts.map((h) => h.name).join(', ')}` });
  if (host.roles.includes('loadbalancer')) {
    throw new UsageError(`remove: ${name} is a load balancer: only workers, control-plane hosts and etcd members can be removed for now`, {
      hint: `the VIP moves to the other balancer when keepalived stops there; delete ${name} from ${inv.source} and run \`kubesmith apply\`, then stop kubesmith-keepalived and kubesmith-apiserver-lb on it by hand; nothing was changed`,
    });
  }
  const isControlPlane = host.roles.includes('control-plane');
  if (isControlPlane) checkControlPlaneRemoval(inv, host);
  const dryRun = boolOpt(ctx, 'dry-run');
  const isEtcd = host.roles.includes('etcd');
  // A control-plane host runs a kubelet too (it is a node of the cluster).
  const isNode = host.roles.includes('worker') || isControlPlane;
  const members = inv.hosts.filter((h) => h.roles.includes('etcd')).map((h) => h.name);
  const keepData = boolOpt(ctx, 'keep-data');
  // Fully rendered: a file on the host is removed only while it is what kubesmith wrote (its sha256).
  const plan = etcdPlan(inv, true);
  const api = isNode ? applyApi(ctx.env) : undefined;
  const etcd = isEtcd ? etcdRemoveSteps(name, keepData) : [];
  const phases = api ? [{ ...connect, gate: false }, lock, ...nodeRemovePhases(api.access, { target: name, keepData, ...drainOptions(ctx, 'remove') }, etcd, isControlPlane)] : [{ ...connect, gate: false }, lock, ...etcd];
  const cps = isNode ? hostsWithRole(inv, 'control-plane').map((h) => h.name) : [];
  const proxies = isControlPlane ? apiProxyHosts(inv) : [];
  const steps: StepLine[] = [];
  let failure: PhaseError | undefined;
  try {
    await runEtcdProgram(ctx, { command: 'remove', plan, phases, hosts: [...new Set([name, ...cps, ...proxies, ...(isEtcd ? members : [])])], dryRun, ...(api ? { wrap: api.record } : {}) }, steps);
  } catch (err) {
    if (!(err instanceof PhaseError)) throw err;
    failure = err;
  }
  if (dryRun) return 0;
  const done = (s: StepLine) => s.status === 'changed' || s.status === 'unchanged';
  const removed = isEtcd ? steps.some((s) => s.step.includes(`etcdctl member remove ${name}`) && done(s)) : !(failure?.failures.some((f) => f.step.startsWith('node-drain:') || f.step.startsWith('node-delete:')) ?? false);
  const away = failure?.failures.some((f) => f.host !== name) ?? false;
  if (!removed || away) throw failure ?? new PhaseError('remove', [], { hint: `${name} was not removed; see the log above` });
  const [{ forgetEtcdMember }, { archiveOrphans }, { loadCatalogue }, { pkiStateDir }, { NodeClock }] = await Promise.all([
    import('../../state/pki-flow.js'),
    import('../../state/pki-archive.js'),
    import('../../state/load-catalogue.js'),
    import('../../state/pki-store.js'),
    import('../../state/node-sources.js'),
  ]);
  const dir = pkiStateDir(inv);
  if (isEtcd) forgetEtcdMember(dir, name);
  const without = { ...inv, hosts: inv.hosts.filter((h) => h.name !== name) };
  const archived = archiveOrphans(loadCatalogue(), without, dir, NodeClock.now(), { only: (o) => o.id.endsWith(`@${name}`), by: `kubesmith remove ${name}` });
  const cleaned = failure === undefined;
  ctx.stdout.write(
    [
      ...(isNode ? [`${name} was drained and its Node deleted.`] : []),
      ...(isControlPlane ? controlPlaneRemovedLines(inv, name) : []),
      ...(isEtcd ? [`${name} left the etcd cluster (${members.length - 1} members remain).`] : []),
      cleaned
        ? `${name}: ${[isNode ? `kubelet, kube-proxy${isControlPlane ? ', the control plane' : ''} and containerd stopped and disabled` : '', isEtcd ? 'etcd stopped and disabled' : ''].filter(Boolean).join(', ')}, kubesmith's files removed, ${keepData ? 'data directories kept in place' : `${[isEtcd ? '/var/lib/etcd' : '', isNode ? '/var/lib/kubelet' : ''].filter(Boolean).join(' and ')} moved aside (.removed)`}.`
        : `${name} could not be cleaned (see above): its files stay; stop its services there by hand (systemctl disable --now ${[isNode ? 'kubelet kube-proxy containerd' : '', isControlPlane ? 'kube-apiserver kube-controller-manager kube-scheduler' : '', isEtcd ? 'etcd' : ''].filter(Boolean).join(' ')}) before it can start again.`,
      archived ? `its certificates and keys: moved to ${archived.archiveDir} (${archived.archived.length} files)` : 'no certificate of it was left in the state',
      `next: delete ${name} from ${inv.source}, then run \`kubesmith apply -i ${inv.source}\`${isEtcd ? ' (the apiservers stop listing it among the etcd servers)' : ''}${isControlPlane ? ' (the proxies stop listing it, by reload; the other apiservers\' certificates drop its name, one restart at a time)' : ''}`,
      ...(isNode ? ["left on the host: containerd's images (/var/lib/containerd) and the CNI's interfaces, as `kubeadm reset` leaves them"] : []),
      '',
    ].join('\n'),
  );
  return cleaned ? 0 : 1;
}

