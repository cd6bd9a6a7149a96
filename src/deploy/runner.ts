/**
 * The orchestrator: phases in order, each a barrier; within a phase every selected host runs in a
 * host queue (inventory.concurrency.hosts) and binaries go through one upload queue
 * (concurrency.uploads). In the gate phases (connect, lock, gather-facts, preflight: Phase.gate) any
 * failure stops the whole run before anything is written. Later, a host that fails drops out of
 * later phases but never stops the others; every failure is reported together at the end
 * (PhaseError). It touches hosts only through the executor (apply) or the dry-run printer (reads only) and the injected Transport.
 */
import PQueue from 'p-queue';
import type { ClusterPlan, PlannedHost } from '../plan/types.js';
import type { InventoryHost } from '../inventory/types.js';
import type { HostConnection, HostReader } from './ssh/connection.js';
import type { Clock } from '../shared/clock.js';
import type { EmitEvent, HostSummary } from './events.js';
import type { EtcdSnapshotTarget, HostFacts, Phase, PhaseContext, PhaseInput, Step } from './phase.js';
import type { FirstLook, StepExtras } from './pre-probe.js';
import { addedSince, withoutStaleRunnable } from './stale-runnable.js';
import { InternalError, KubesmithError, LockedError, PhaseError, type HostFailure } from '../shared/errors.js';
import { gateStop, interrupted } from './run-stops.js';
import { executeSteps, StepFailed } from './executor.js';
import { dryRunSteps, hostStatPaths, newHostRunState, type HostRunState } from './dry-run.js';
import { selectHosts, selectPhases } from './phases/select.js';
import { rollRestarts, type RolloutIo } from './rolling.js';
import { markRolling } from './rollout-plan.js';

/** A held remote lock; released when the run ends (or by sshd when the client dies). */
export interface HostLock {
  release(): Promise<void>;
}

/** Progress while a host is slow to answer (e.g. its first SSH session waits for pam_systemd). */
export type WaitNotice = (message: string) => void;

/** How the runner reaches hosts; the CLI wires the ssh2 implementation in. */
export interface Transport {
  connect(host: InventoryHost, signal: AbortSignal, onWait?: WaitNotice): Promise<HostConnection>;
  lock(conn: HostConnection, signal: AbortSignal, onWait?: WaitNotice): Promise<HostLock>;
}

/** Everything one apply run needs. */
export interface RunRequest {
  readonly plan: ClusterPlan;
  readonly phases: readonly Phase[];
  readonly only?: readonly string[];
  readonly skip?: readonly string[];
  readonly limit?: readonly string[];
  readonly dryRun: boolean;
  readonly transport: Transport;
  readonly emit: EmitEvent;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** Budget for each phase's verify/report retries. @default 120 s */
  readonly verifyTimeoutMs?: number;
  /** The command a gate's hint tells to run again. @default "apply" */
  readonly command?: string;
  readonly etcdSnapshot?: EtcdSnapshotTarget; // where the snapshot before an etcd rolling restart goes; absent: none
}

/** Per-host totals; failures are thrown as a PhaseError after run-done was emitted. */
export interface RunResult {
  readonly hosts: readonly HostSummary[];
}

/** Mutable bookkeeping of one run (kept out of module scope: no globals). */
export interface RunState {
  readonly conns: Map<string, HostConnection>;
  readonly locks: HostLock[];
  readonly facts: Map<string, HostFacts>;
  readonly hostState: Map<string, HostRunState>;
  readonly elapsed: Map<string, number>;
  readonly failures: HostFailure[];
  readonly failedIn: Map<string, string>;
}

/** Runs the selected phases over the selected hosts. */
export async function runPhases(req: RunRequest): Promise<RunResult> {
  const phases = selectPhases(req.phases, req.only, req.skip);
  const selected = selectHosts(req.plan, req.limit);
  const inv = req.plan.inventory;
  const hostQueue = new PQueue({ concurrency: inv.concurrency.hosts });
  const uploads = new PQueue({ concurrency: inv.concurrency.uploads });
  const [hostState, inRun] = [new Map(selected.map((h) => [h, newHostRunState()])), new Set(selected)];
  const run: RunState = { conns: new Map(), locks: [], facts: new Map(), hostState, elapsed: new Map(), failures: [], failedIn: new Map() };
  const now = (): number => req.clock.now().getTime();
  const started = now();
  let stopped: PhaseError | undefined;
  const lock = req.dryRun ? 'none (dry-run writes nothing, not even a lock)' : 'flock /run/lock/kubesmith.lock on every host of the run';
  req.emit({ type: 'run-start', hosts: selected, phases: phases.map((p) => p.id), dryRun: req.dryRun, lock });
  try {
    for (const phase of phases) {
      if (req.signal.aborted) throw interrupted(phase.id, req.command ?? 'apply');
      // A Set, and one name list per phase (not per host): either made each phase quadratic in hosts.
      const targets = phase.hosts(req.plan).filter((h) => inRun.has(h.host.name) && !run.failedIn.has(h.host.name));
      if (targets.length === 0) continue;
      const [phaseStart, active] = [now(), targets.map((h) => h.host.name)];
      req.emit({ type: 'phase-start', phase: phase.id, title: phase.title, hosts: active });
      const ctx: PhaseContext = { signal: req.signal, deadline: phaseStart + (req.verifyTimeoutMs ?? phase.deadlineMs ?? 120_000), clock: req.clock, dryRun: req.dryRun };
      const failedBefore = run.failures.length;
      await Promise.allSettled(
        targets.map((h) =>
          hostQueue.add(async () => (req.signal.aborted ? undefined : runOne(req, run, phase, h, ctx, uploads, active))),
        ),
      );
      if (req.signal.aborted) throw interrupted(phase.id, req.command ?? 'apply');
      // Running units whose inputs changed restart batch by batch behind the phase's health gate.
      stopped = phase.rolling ? await rollRestarts(phase, phase.rolling, targets, rolloutIo(req, run, phase, targets, uploads)) : undefined;
      for (const f of stopped?.failures ?? []) recordFailure(req, run, phase.id, f.host, 'rolling restart', f.error);
      await reportPhase(req, run, phase, targets, ctx);
      const failed = run.failures.slice(failedBefore).map((f) => f.host);
      req.emit({ type: 'phase-done', phase: phase.id, durationMs: now() - phaseStart, failed });
      const failedNow = run.failures.slice(failedBefore);
      const locked = failedNow.find((f) => f.error instanceof LockedError);
      // Another apply is running: continuing on the hosts we did lock would race with it.
      if (locked) throw locked.error;
      if (phase.gate && failedNow.length > 0) throw gateStop(phase, failedNow, req.command ?? 'apply');
      if (stopped) break; // a stopped rollout stops the run: later phases would restart more on a degraded cluster
    }
  } finally {
    await Promise.allSettled(run.locks.map((l) => l.release()));
    await Promise.allSettled([...run.conns.values()].map((c) => c.close()));
  }
  const hosts = summarize(selected, run);
  req.emit({ type: 'run-done', durationMs: now() - started, hosts, dryRun: req.dryRun });
  if (stopped) throw stopped;
  if (run.failures.length > 0) {
    const ids = [...new Set(run.failures.map((f) => f.step.split(':')[0]))].join(', ');
    throw new PhaseError(ids, run.failures, {
      hint: `the other hosts completed; fix the failures above and run \`kubesmith ${req.command ?? 'apply'}\` again (finished work is skipped)`,
    });
  }
  return { hosts };
}

async function runOne(
  req: RunRequest,
  run: RunState,
  phase: Phase,
  planned: PlannedHost,
  ctx: PhaseContext,
  uploads: PQueue,
  activeHosts: readonly string[],
): Promise<void> {
  const name = planned.host.name;
  const t0 = req.clock.now().getTime();
  try {
    await runHostPhase(req, run, phase, planned, ctx, activeHosts, stepRunner(req, phase, uploads), t0);
  } catch (err) {
    if (req.signal.aborted) return;
    const error = err instanceof StepFailed ? err.error : err instanceof Error ? err : new Error(String(err));
    const step = err instanceof StepFailed ? err.step : err instanceof KubesmithError && err.code === 'E_PHASE' ? 'check' : phase.builtin ?? 'plan';
    recordFailure(req, run, phase.id, name, step, error);
  } finally {
    run.elapsed.set(name, (run.elapsed.get(name) ?? 0) + req.clock.now().getTime() - t0);
  }
}

type StepRunner = (conn: HostConnection, steps: readonly Step[], state: HostRunState, more?: StepExtras) => Promise<FirstLook>;
/** The executor (apply) or the dry-run printer for one phase's steps. */
function stepRunner(req: RunRequest, phase: Phase, uploads: PQueue): StepRunner {
  return (conn, steps, state, more) =>
    req.dryRun
      ? dryRunSteps(readOnly(conn), steps, state, { phase: phase.id, emit: req.emit, signal: req.signal }, more)
      : executeSteps(conn, steps, state, { phase: phase.id, emit: req.emit, signal: req.signal, uploads, clock: req.clock }, more);
}

/** What the rolling restart stage gets: readers of the phase's live hosts, the step runner for every live host (RollingRestart.drain). */
function rolloutIo(req: RunRequest, run: RunState, phase: Phase, targets: readonly PlannedHost[], uploads: PQueue): RolloutIo {
  const live = new Map([...run.conns].filter(([n]) => !run.failedIn.has(n)));
  const execute = stepRunner(req, phase, uploads);
  const { plan, dryRun, emit, signal, clock } = req;
  const readers = new Map(targets.flatMap((h) => { const c = live.get(h.host.name); return c ? [[h.host.name, readOnly(c)] as const] : []; }));
  const snapshot = req.etcdSnapshot ? { etcdSnapshot: req.etcdSnapshot } : {};
  const runOn = async (h: string, steps: readonly Step[]): Promise<void> => void (await execute(live.get(h) ?? unreachable(h), steps, run.hostState.get(h) ?? newHostRunState()));
  // No first stat and no first look: a rollout writes, and stats what it needs itself.
  return { plan, dryRun, emit, signal, clock, timeoutMs: req.verifyTimeoutMs ?? phase.deadlineMs ?? 120_000, readers, states: run.hostState, facts: run.facts, run: runOn, reachable: new Set(live.keys()), ...snapshot };
}

const unreachable = (h: string): never => { throw new InternalError(`${h}: not connected in this run`); };

/** One phase on one host: builtin connect/lock, or gather -> check -> plan -> execute|dry-run -> verify. */
async function runHostPhase(
  req: RunRequest,
  run: RunState,
  phase: Phase,
  planned: PlannedHost,
  ctx: PhaseContext,
  activeHosts: readonly string[],
  execute: StepRunner,
  startedAt: number,
): Promise<void> {
  const name = planned.host.name;
  const done = (changed: number, restarted: readonly string[], notes: readonly string[]): void =>
    req.emit({ type: 'host-done', phase: phase.id, host: name, changed, restarted, durationMs: req.clock.now().getTime() - startedAt, notes });
  const onWait: WaitNotice = (message) => req.emit({ type: 'warning', phase: phase.id, host: name, message });
  if (phase.builtin === 'connect') {
    run.conns.set(name, await req.transport.connect(planned.host, req.signal, onWait));
    return done(0, [], []);
  }
  const conn = run.conns.get(name);
  const state = run.hostState.get(name);
  if (!conn || !state) throw new InternalError(`${name}: ${phase.id} ran before connect`);
  if (phase.builtin === 'lock') {
    if (req.dryRun) return done(0, [], ['dry-run: no lock taken (a lock is a write)']);
    run.locks.push(await req.transport.lock(conn, req.signal, onWait));
    return done(0, [], []);
  }
  const base = run.facts.get(name) ?? {};
  const partial = { plan: req.plan, host: planned, facts: base, activeHosts, peers: run.facts };
  const facts: HostFacts = phase.gather ? { ...base, ...(await phase.gather(readOnly(conn), partial, ctx)) } : base;
  run.facts.set(name, facts);
  const input: PhaseInput = { ...partial, facts };
  const problems = phase.check?.(input) ?? [];
  for (const p of problems.filter((x) => x.severity === 'warning')) req.emit({ type: 'warning', phase: phase.id, host: name, message: p.message });
  const errors = problems.filter((x) => x.severity === 'error');
  if (errors.length > 0) {
    throw new PhaseError(phase.id, errors.map((p) => ({ host: name, step: 'check', error: new Error(p.hint ? `${p.message} (${p.hint})` : p.message) })), {
      hint: `fix the host problems listed above, then run \`kubesmith ${req.command ?? 'apply'}\` again`,
    });
  }
  const changed0 = state.changed;
  const restarted0 = state.restarted.length;
  const steps = phase.plan(input);
  const written0 = state.changedPaths.size;
  const looks = (!req.dryRun && phase.verify && phase.firstLook?.(input)) || [];
  const firstLook = await execute(conn, phase.rolling ? markRolling(steps) : steps, state, { hostPaths: hostStatPaths(planned), looks });
  if (!req.dryRun) run.facts.set(name, withoutStaleRunnable(run.facts.get(name) ?? facts, addedSince(state.changedPaths, written0)));
  const verifyInput = { ...input, changedPaths: state.changedPaths, ...(firstLook ? { firstLook } : {}) };
  const notes = !req.dryRun && phase.verify ? await verifyHost(phase.verify, readOnly(conn), verifyInput, ctx) : [];
  done(state.changed - changed0, state.restarted.slice(restarted0), notes);
}

/** Runs a phase's verify; its failures are labelled "verify" so the user looks at readiness, not planning. */
async function verifyHost(verify: NonNullable<Phase['verify']>, host: HostReader, input: Parameters<NonNullable<Phase['verify']>>[1], ctx: PhaseContext): Promise<readonly string[]> {
  try {
    return await verify(host, input, ctx);
  } catch (err) {
    throw new StepFailed('verify', err instanceof Error ? err : new Error(String(err)));
  }
}

async function reportPhase(req: RunRequest, run: RunState, phase: Phase, targets: readonly PlannedHost[], ctx: PhaseContext): Promise<void> {
  if (!phase.report || req.dryRun) return;
  const readers = new Map(
    targets.flatMap((h) => {
      const c = run.conns.get(h.host.name);
      return c && !run.failedIn.has(h.host.name) ? [[h.host.name, readOnly(c)] as const] : [];
    }),
  );
  if (readers.size === 0) return;
  const report = await phase.report(readers, req.plan, ctx);
  if (!report) return;
  req.emit({ type: 'report', phase: phase.id, title: report.title, columns: report.columns, rows: report.rows });
  for (const f of report.failures) {
    if (run.failedIn.has(f.host)) continue;
    recordFailure(req, run, phase.id, f.host, report.title, new Error(f.message));
  }
}

/** A host failed at `step` of `phase`: it drops out of later phases, and the failure is reported. */
function recordFailure(req: RunRequest, run: RunState, phase: string, host: string, step: string, error: Error): void {
  run.failures.push({ host, step: `${phase}: ${step}`, error });
  run.failedIn.set(host, phase);
  req.emit({ type: 'host-failed', phase, host, step, error });
}

function summarize(selected: readonly string[], run: RunState): HostSummary[] {
  return selected.map((host) => {
    const st = run.hostState.get(host);
    const failedIn = run.failedIn.get(host);
    return {
      host,
      changed: st?.changed ?? 0,
      restarted: st?.restarted ?? [],
      durationMs: run.elapsed.get(host) ?? 0,
      ...(failedIn === undefined ? {} : { failedIn }),
    };
  });
}

/** Phases and dry-run get only the read methods: no cast can reach writeFile/exec. */
function readOnly(conn: HostConnection): HostReader {
  return { name: conn.name, probe: (argv, opts) => conn.probe(argv, opts), stat: (paths, opts) => conn.stat(paths, opts) };
}
