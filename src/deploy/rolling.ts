/**
 * The rolling restart stage of a phase (Phase.rolling). The phase's own steps ran on every host in
 * parallel, with the restarts of RUNNING units deferred (HostRunState.deferredRestarts; their
 * pending-restart markers stay on the host). Here those restarts happen batch by batch in the
 * planned order (rollout-plan.ts), each batch followed by the phase's health gate before the next:
 * etcd one member at a time, the next only once every member is healthy, the cluster has a leader
 * and the members agree on the revision. The restarts go through the one executor (or the dry-run
 * printer) as ordinary restart steps; this file only orders them and waits.
 *
 * A gate that does not pass stops the rollout there: the hosts not yet restarted keep running on
 * their current files (a renewed certificate from the same CA; the old one stays valid) and keep
 * their pending-restart markers, so the next `kubesmith apply` resumes with them.
 */
import type { ClusterPlan, PlannedHost } from '../plan/types.js';
import type { HostReader } from './ssh/connection.js';
import type { Clock } from '../shared/clock.js';
import type { EmitEvent } from './events.js';
import type { EtcdSnapshotTarget, GateVerdict, HostFacts, Phase, PhaseContext, PhaseInput, RollingRestart, Step } from './phase.js';
import type { HostRunState } from './dry-run.js';
import { PENDING_RESTART_DIR } from './dry-run.js';
import type { PhaseError } from '../shared/errors.js';
import { beforeFailed, describeVerdict, notStarted, stopped } from './rolling-errors.js';
import { aroundWaves, describeRollout, rolloutWaves, type RolloutWave } from './rollout-plan.js';
import { drainWave, warnUnreachable } from './rolling-drain.js';
import type { RolloutIo } from './rollout-io.js';

export type { RolloutIo } from './rollout-io.js';

/** Time between two looks at the gate. */
const GATE_POLL_MS = 200;

/** Runs the rollout; returns the failure that stopped it, if one did. */
export async function rollRestarts(phase: Phase, policy: RollingRestart, targets: readonly PlannedHost[], io: RolloutIo): Promise<PhaseError | undefined> {
  const group = targets.filter((h) => io.readers.has(h.host.name));
  const units = new Map(group.flatMap((h) => {
    const deferred = io.states.get(h.host.name)?.deferredRestarts;
    return deferred && deferred.size > 0 ? [[h.host.name, h.units.filter((u) => deferred.has(u)).concat([...deferred].filter((u) => !h.units.includes(u)))] as const] : [];
  }));
  // An upgrade's guard first releases what an interrupted run left (a node cordoned for it), even when nothing restarts now.
  if (policy.guard?.what(io.plan) !== undefined) {
    try {
      for (const message of await policy.guard.start(io)) io.emit({ type: 'rollout', phase: phase.id, message });
    } catch (err) {
      // Only a clean-up of an earlier run: the rollout itself is as safe without it.
      io.emit({ type: 'warning', phase: phase.id, host: 'API', message: `not checked for what an earlier run left (${err instanceof Error ? err.message : String(err)}); the next apply checks again` });
    }
  }
  if (units.size === 0) return undefined;
  const gateInput = (hosts: readonly PlannedHost[]) => ({ plan: io.plan, hosts, facts: io.facts });
  const first = new Map<string, string>();
  for (const h of group) {
    const why = units.has(h.host.name) ? policy.together?.(phaseInput(io, h, group)) : undefined;
    if (why !== undefined) first.set(h.host.name, why);
  }
  // Before the first restart: the group must be healthy, or its unhealthy hosts are the ones to restart.
  let last: readonly string[] = [];
  let lastWhy: string | undefined;
  let preVerdict: GateVerdict | undefined;
  if (policy.scope === 'group') {
    const pre = await waitGate(policy, io, gateInput(group), (v) => startable(v, units));
    if (!pre.ok) return notStarted(phase, policy, pre.verdict, units, io);
    preVerdict = pre.verdict;
    for (const [host, why] of pre.verdict.unhealthy) if (units.has(host) && !first.has(host)) first.set(host, `not healthy before the rollout: ${why}`);
    if (nothingServes(pre.verdict)) for (const h of units.keys()) if (!first.has(h)) first.set(h, 'no host of the group was healthy: nothing serves, so nothing is lost');
    last = pre.verdict.last ?? [];
    lastWhy = pre.verdict.lastWhy;
  }
  const waves = rolloutWaves(policy.tiers(io.plan, targets), new Set(units.keys()), { first, last });
  const late = waves.length > 1 && last.some((h) => waves.at(-1)?.hosts.includes(h)) ? ` (${last.join(', ')} last${lastWhy ? `: ${lastWhy}` : ''})` : '';
  io.emit({ type: 'rollout', phase: phase.id, message: `${io.dryRun ? 'would run: ' : ''}${describeRollout(phase.id, waves, policy.gate, aroundWaves(policy, io.plan))}${late}` });
  if (policy.drain) warnUnreachable(policy.drain, phase.id, io);
  if (policy.before && preVerdict) {
    const failed = await runBefore(policy.before, preVerdict, io).catch((err: unknown) => err instanceof Error ? err : new Error(String(err)));
    if (failed instanceof Error) return beforeFailed(phase, policy, failed, units);
    if (failed) io.emit({ type: 'rollout', phase: phase.id, message: failed });
  }
  const done: string[] = [];
  for (const [i, wave] of waves.entries()) {
    io.signal.throwIfAborted();
    const t0 = io.clock.now().getTime();
    // A wave that fails to restart or to pass its gate stays drained: nothing is sent to a host that is not ready.
    if (policy.drain) await drainWave(policy.drain, phase.id, wave.hosts, io);
    const prepared = await guarded(policy, 'before', wave, io, phase.id);
    if (prepared) return stopped(phase, policy, { hosts: wave.hosts, why: prepared }, 'prepare', waves, i - 1, io, units);
    const failed = await restartWave(wave, units, io);
    if (failed) return stopped(phase, policy, { hosts: [failed.host], why: failed.why }, 'restart', waves, i, io, units);
    done.push(...wave.hosts);
    const gate = io.dryRun ? undefined : await waitGate(policy, io, gateInput(policy.scope === 'group' ? group : group.filter((h) => wave.hosts.includes(h.host.name))), healthy);
    if (gate && !gate.ok) return stopped(phase, policy, { hosts: wave.hosts, why: describeVerdict(gate.verdict) }, 'gate', waves, i, io, units);
    const back = policy.drain ? await drainWave(policy.drain, phase.id, [], io) : undefined;
    if (back) return stopped(phase, policy, { hosts: [back.host], why: `could not put ${wave.hosts.join(', ')} back into its load balancer: ${back.why}` }, 'restore', waves, i, io, units);
    const released = await guarded(policy, 'after', wave, io, phase.id);
    if (released) return stopped(phase, policy, { hosts: wave.hosts, why: released }, 'release', waves, i, io, units);
    if (io.dryRun) continue;
    const secs = ((io.clock.now().getTime() - t0) / 1000).toFixed(1);
    io.emit({ type: 'rollout', phase: phase.id, host: wave.hosts.join(', '), message: `restarted ${wave.hosts.map((h) => units.get(h)?.join(', ')).filter((x, k, a) => a.indexOf(x) === k).join('; ')}; ${policy.gate}: ok (${secs} s, ${done.length}/${units.size})` });
  }
  return undefined;
}

/** Runs the guard's `before` or `after` for a wave and reports its lines; the failure's text, if it failed. */
async function guarded(policy: RollingRestart, when: 'before' | 'after', wave: RolloutWave, io: RolloutIo, phase: string): Promise<string | undefined> {
  if (!policy.guard || policy.guard.what(io.plan) === undefined) return undefined;
  try {
    for (const message of await policy.guard[when](wave.hosts, io)) io.emit({ type: 'rollout', phase, host: wave.hosts.join(', '), message });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function runBefore(before: NonNullable<RollingRestart['before']>, verdict: GateVerdict, io: RolloutIo): Promise<string | undefined> {
  const { plan, dryRun, signal, readers, etcdSnapshot } = io;
  return before({ plan, dryRun, signal, readers, verdict, run: (h, steps) => io.run(h, steps), ...(etcdSnapshot ? { etcdSnapshot } : {}) });
}

/** The PhaseInput `together` sees for one host. */
function phaseInput(io: RolloutIo, h: PlannedHost, group: readonly PlannedHost[]): PhaseInput {
  return { plan: io.plan, host: h, facts: io.facts.get(h.host.name) ?? {}, activeHosts: group.map((g) => g.host.name) };
}

/** Restarts every deferred unit of the wave's hosts at once; the first failure, if any. */
async function restartWave(wave: RolloutWave, units: ReadonlyMap<string, readonly string[]>, io: RolloutIo): Promise<{ host: string; why: string } | undefined> {
  const results = await Promise.allSettled(
    wave.hosts.map(async (host) => {
      const list = units.get(host) ?? [];
      // Blocking restarts (no --no-block): systemctl returns once the new process is up (etcd:
      // Type=notify, ready once it rejoined), so the gate never sees the old process as healthy.
      await io.run(host, list.map((unit): Step => ({ kind: 'systemd', unit, action: 'restart', when: 'changed' })));
      for (const u of list) io.states.get(host)?.deferredRestarts.delete(u);
    }),
  );
  const bad = results.findIndex((r) => r.status === 'rejected');
  const r = results[bad];
  return r?.status === 'rejected' ? { host: wave.hosts[bad] ?? '', why: r.reason instanceof Error ? r.reason.message : String(r.reason) } : undefined;
}

const healthy = (v: GateVerdict): boolean => v.unhealthy.size === 0 && v.cluster === undefined;

/**
 * Whether the rollout may start: all healthy, or every unhealthy host is one that restarts (it
 * restarts first: restarting a host that serves nobody costs nothing), or nothing serves at all.
 */
function startable(v: GateVerdict, units: ReadonlyMap<string, unknown>): boolean {
  if (nothingServes(v)) return true;
  return v.cluster === undefined && [...v.unhealthy.keys()].every((h) => units.has(h));
}

/** Every host the gate looked at is unhealthy (an --limit run counts the members outside it too). */
function nothingServes(v: GateVerdict): boolean {
  return v.checked.length > 0 && v.checked.every((h) => v.unhealthy.has(h));
}

/** Looks at the gate until `accept` holds or the deadline passes (one look in dry-run). */
async function waitGate(policy: RollingRestart, io: RolloutIo, input: Parameters<RollingRestart['check']>[1], accept: (v: GateVerdict) => boolean): Promise<{ ok: boolean; verdict: GateVerdict }> {
  const deadline = io.clock.now().getTime() + io.timeoutMs;
  const ctx: PhaseContext = { signal: io.signal, deadline, clock: io.clock, dryRun: io.dryRun };
  for (;;) {
    const verdict = await policy.check(io.readers, input, ctx).catch((err: unknown): GateVerdict => ({ checked: [], unhealthy: new Map(), cluster: `health check failed: ${err instanceof Error ? err.message : String(err)}` }));
    if (accept(verdict) || io.dryRun) return { ok: accept(verdict) || io.dryRun, verdict };
    if (io.clock.now().getTime() >= deadline || io.signal.aborted) return { ok: false, verdict };
    await new Promise((res) => setTimeout(res, GATE_POLL_MS));
  }
}
