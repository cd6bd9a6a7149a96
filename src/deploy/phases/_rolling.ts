/**
 * The rolling restart policies of the service phases (Phase.rolling): restart order, batch sizes
 * (inventory.concurrency.restarts) and health gates.
 * - etcd: one member at a time, every member healthy + a leader + revision agreement between
 *   batches (_etcd-gate.ts); the current leader goes last, so the cluster elects once. A snapshot
 *   is copied to the operator machine before the first restart (_etcd-rollout-snapshot.ts).
 * - control-plane: concurrency.restarts.controlPlane hosts at a time (default 1), every
 *   control-plane host's units ready between batches: kube-apiserver's own /readyz (the local
 *   proxy or the VIP keeps the API reachable through the others meanwhile), the controller-manager
 *   and scheduler /healthz (their leases move to another host). Before its restart a host is taken out
 *   of every API proxy, and put back once ready (_api-proxy-drain.ts): no client is sent to an
 *   apiserver that is stopping or still starting.
 * - nodes: control-plane nodes first at the control-plane batch size, then workers in batches of
 *   concurrency.restarts.workers (default 20%, at least 1); the batch just restarted must be ready.
 */
import type { PlannedHost } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { GateInput, GateVerdict, PhaseContext, RollingRestart, RolloutTier } from '../phase.js';
import { batchProbe } from '../pre-probe.js';
import { batchSizeOf, batchWhy } from '../rollout-plan.js';
import { unitBinaries, type ShippingPhase } from './_artifacts.js';
import { readinessProbe } from './_readiness.js';
import { ETCD_GATE, etcdGate } from './_etcd-gate.js';
import { ROLLOUT_SNAPSHOT_OPT_OUT, snapshotBeforeRollout } from './_etcd-rollout-snapshot.js';
import { etcdExpiry } from './_expired.js';
import { API_PROXY_DRAIN } from './_api-proxy-drain.js';

const names = (hosts: readonly PlannedHost[]): readonly string[] => hosts.map((h) => h.host.name);

/** etcd: one member at a time. */
export const ETCD_ROLLING: RollingRestart = {
  gate: ETCD_GATE,
  scope: 'group',
  tiers: (_plan, hosts) => [{ label: 'etcd members', hosts: names(hosts), batchSize: 1, why: 'one member at a time (quorum), the current leader last' }],
  // Members whose deployed certificates expired serve nobody and can only recover together (#12 part 3).
  together: (input) => (etcdExpiry(input) ? 'their deployed certificates expired: members reject each other until restarted on renewed ones' : undefined),
  check: etcdGate,
  before: snapshotBeforeRollout,
  beforeOptOut: ROLLOUT_SNAPSHOT_OPT_OUT,
};

/** kube-apiserver, controller-manager, scheduler (and the VIP load balancers): a host at a time by default. */
export const CONTROL_PLANE_ROLLING: RollingRestart = {
  gate: 'every control-plane host ready (kube-apiserver /readyz on the host, controller-manager and scheduler /healthz)',
  scope: 'group',
  tiers: (plan, hosts) => {
    const size = plan.inventory.concurrency.restarts.controlPlane;
    return [{ label: 'control-plane hosts', hosts: names(hosts), batchSize: batchSizeOf(size, hosts.length), why: batchWhy('controlPlane', size, hosts.length) }];
  },
  check: (readers, input, ctx) => unitsGate('control-plane', readers, input, ctx),
  drain: API_PROXY_DRAIN,
};

/** containerd, the API proxy, kubelet, kube-proxy: control-plane nodes, then workers in batches. */
export const NODES_ROLLING: RollingRestart = {
  gate: 'the restarted node units ready (kubelet and kube-proxy /healthz, containerd answering)',
  scope: 'restarted',
  tiers: (plan, hosts) => {
    const cp = hosts.filter((h) => h.host.roles.includes('control-plane'));
    const workers = hosts.filter((h) => !h.host.roles.includes('control-plane'));
    const { controlPlane, workers: w } = plan.inventory.concurrency.restarts;
    const tiers: RolloutTier[] = [];
    if (cp.length > 0) tiers.push({ label: 'control-plane nodes', hosts: names(cp), batchSize: batchSizeOf(controlPlane, cp.length), why: batchWhy('controlPlane', controlPlane, cp.length) });
    if (workers.length > 0) tiers.push({ label: 'workers', hosts: names(workers), batchSize: batchSizeOf(w, workers.length), why: batchWhy('workers', w, workers.length) });
    return tiers;
  },
  check: (readers, input, ctx) => unitsGate('nodes', readers, input, ctx),
};

/**
 * Single-shot readiness of every started unit of the phase on each host, one round trip per host
 * (_readiness.ts probes: kube-apiserver at the host's own address, not the local proxy, which would
 * answer through another apiserver). Units whose binary does not run were never started.
 */
async function unitsGate(phase: ShippingPhase, readers: ReadonlyMap<string, HostReader>, input: GateInput, ctx: PhaseContext): Promise<GateVerdict> {
  const port = input.plan.inventory.cluster.apiServer.port;
  const unhealthy = new Map<string, string>();
  const checked = input.hosts.map((h) => h.host.name).filter((h) => readers.has(h));
  await Promise.all(
    input.hosts.map(async (h) => {
      const reader = readers.get(h.host.name);
      if (!reader) return;
      const runnable = input.facts.get(h.host.name)?.runnable;
      const probes = [...unitBinaries(h, phase)].flatMap(([unit, bin]) => {
        const argv = runnable?.get(bin) === undefined ? undefined : readinessProbe(unit, h, port);
        return argv ? [{ unit, argv: ['timeout', '10', ...argv] }] : [];
      });
      const answers = await batchProbe(reader, probes.map((p) => p.argv), ctx.signal);
      const bad = probes.filter((_, i) => answers.get(i)?.exitCode !== 0).map((p) => `${p.unit} not ready (\`${p.argv.slice(2).join(' ')}\`)`);
      if (bad.length > 0) unhealthy.set(h.host.name, bad.join('; '));
    }),
  );
  return { checked, unhealthy };
}
