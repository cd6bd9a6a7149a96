/**
 * Dry-run: the same Step[] the executor gets, evaluated through a HostReader only. It reports
 * what apply would do (new / changed / unchanged per file, which units would restart) and cannot
 * write by construction: it only ever holds a read-only host view. Also home of the comparison rules the
 * executor shares, so "unchanged" means the same thing in both modes.
 */
import type { Artifact } from '../plan/types.js';
import type { HostReader, RemoteFileStat } from './ssh/connection.js';
import { stepEvent, type EmitEvent } from './events.js';
import type { Step, StepStatus } from './phase.js';
import { runPreProbes, type FirstLook, type ProbeAnswer, type StepExtras } from './pre-probe.js';
import { statOnce, type GatheredStats } from './gathered-stats.js';
import type { PlannedHost } from '../plan/types.js';

/** Where a unit's "restart pending" marker lives, so an interrupted run still restarts it next time. */
export const PENDING_RESTART_DIR = '/var/lib/kubesmith/pending-restart';

/** Marker path for one unit. */
export function pendingMarker(unit: string): string {
  return `${PENDING_RESTART_DIR}/${unit}`;
}

/** Marker path of a pending reload (Artifact.reloads), beside the restart markers. */
export function pendingReloadMarker(unit: string): string {
  return `${PENDING_RESTART_DIR}/${unit}.reload`;
}

/** Per-host change tracking across the phases of one run. */
export interface HostRunState {
  readonly changedPaths: Set<string>;
  readonly pendingRestarts: Set<string>;
  /** Units a changed file of theirs asks to reload (Artifact.reloads). */
  readonly pendingReloads: Set<string>;
  /** Running units whose restart waits for the phase's rolling restart (Step.rolling). */
  readonly deferredRestarts: Set<string>;
  readonly restarted: string[];
  unitFilesChanged: boolean;
  changed: number;
  /** Calls that may have changed the host in this run (executor: gathered-stats.ts countingWriter). */
  writes: number;
  /** The run's first stat of this host, of every path its plan may need (gathered-stats.ts). */
  gathered?: GatheredStats;
}

/** A fresh state for one host. */
export function newHostRunState(): HostRunState {
  return { changedPaths: new Set(), pendingRestarts: new Set(), pendingReloads: new Set(), deferredRestarts: new Set(), restarted: [], unitFilesChanged: false, changed: 0, writes: 0 };
}

/** How a remote file differs from the artifact: "new", "content", "mode 644 -> 600", or undefined when equal. */
export function diffArtifact(artifact: Artifact, stat: RemoteFileStat | undefined): string | undefined {
  if (!stat) return 'new';
  const diffs: string[] = [];
  if (artifact.sha256 !== undefined && stat.sha256 !== artifact.sha256) diffs.push('content');
  if (stat.mode !== artifact.mode) diffs.push(`mode ${stat.mode.toString(8)} -> ${artifact.mode.toString(8)}`);
  if (stat.owner !== artifact.owner) diffs.push(`owner ${stat.owner} -> ${artifact.owner}`);
  return diffs.length === 0 ? undefined : diffs.join(', ');
}

/** Every path the steps need a stat of: put targets and pending-restart markers (one round trip). */
export function pathsToStat(steps: readonly Step[]): readonly string[] {
  return steps.flatMap((s) =>
    s.kind === 'put' ? [s.artifact.path] : s.kind === 'systemd' && s.action === 'restart' ? [pendingMarker(s.unit), pendingReloadMarker(s.unit)] : [],
  );
}

const memo = new WeakMap<PlannedHost, readonly string[]>();

/** Every path a host's phases may stat: each planned file and each unit's pending-restart/reload marker. */
export function hostStatPaths(planned: PlannedHost): readonly string[] {
  const known = memo.get(planned);
  if (known) return known;
  const units = new Set([...planned.units, ...planned.artifacts.flatMap((a) => [...a.restarts, ...(a.reloads ?? [])])]);
  const paths = [...new Set([...planned.artifacts.map((a) => a.path), ...[...units].flatMap((u) => [pendingMarker(u), pendingReloadMarker(u)])])];
  memo.set(planned, paths);
  return paths;
}

/** Records a changed put in the host state. */
export function recordChange(state: HostRunState, artifact: Artifact): void {
  state.changedPaths.add(artifact.path);
  for (const u of artifact.restarts) state.pendingRestarts.add(u);
  for (const u of artifact.reloads ?? []) state.pendingReloads.add(u);
  if (artifact.kind === 'unit') state.unitFilesChanged = true;
  state.changed += 1;
}

/** Whether an exec step's ifChanged inputs changed in this run. */
export function inputsChanged(state: HostRunState, paths: readonly string[] | undefined): boolean {
  return paths === undefined || paths.some((p) => state.changedPaths.has(p));
}

/** Why a restart step was left to the rolling restart; shared by executor and dry-run. */
export const ROLLING_DETAIL = 'running: restarted by the rolling restart after every host of the phase';

/**
 * A `rolling` restart of a unit that runs is deferred to the phase's rolling restart (recorded in
 * the state; the pending-restart marker stays until it happens). Not running: restart at once.
 */
export function deferRestart(step: Extract<Step, { kind: 'systemd' }>, state: HostRunState, pre: ProbeAnswer | undefined): boolean {
  if (step.rolling !== true || pre?.stdout.trim() !== 'active') return false;
  state.deferredRestarts.add(step.unit);
  return true;
}

/**
 * What a restart step does, for executor and dry-run alike: nothing; defer to the rolling restart;
 * restart; or reload, when only files the unit reloads changed (in this run, or in an interrupted
 * one: the markers). A pending restart wins over a reload, and takes the reload's marker with it.
 */
export function restartAction(step: Extract<Step, { kind: 'systemd' }>, state: HostRunState, stats: ReadonlyMap<string, RemoteFileStat>, pre: ProbeAnswer | undefined): 'none' | 'defer' | 'restart' | 'reload' {
  const restart = step.when !== 'changed' || state.pendingRestarts.has(step.unit) || stats.has(pendingMarker(step.unit));
  const reload = state.pendingReloads.has(step.unit) || stats.has(pendingReloadMarker(step.unit));
  if (restart) return deferRestart(step, state, pre) ? 'defer' : 'restart';
  return reload ? 'reload' : 'none';
}

/** Options shared by executor and dry-run. */
export interface StepRunOptions {
  readonly phase: string;
  readonly emit: EmitEvent;
  readonly signal: AbortSignal;
}

/** Evaluates steps read-only and emits what apply would do. */
export async function dryRunSteps(
  host: HostReader,
  steps: readonly Step[],
  state: HostRunState,
  opts: StepRunOptions,
  more: StepExtras = {},
): Promise<FirstLook> {
  // verify does not run in a dry-run: no first look is asked for it.
  const [stats, answers] = await Promise.all([statOnce((paths) => host.stat(paths, { signal: opts.signal }), pathsToStat(steps), state, more.hostPaths), runPreProbes(host, steps, opts.signal).then((a) => a.steps)]);
  const emit = (step: Step, status: StepStatus, detail?: string): void => opts.emit(stepEvent(opts.phase, host.name, step, status, detail));
  for (const [i, step] of steps.entries()) {
    if (opts.signal.aborted) return;
    const pre = answers.get(i);
    switch (step.kind) {
      case 'put': {
        const diff = diffArtifact(step.artifact, stats.get(step.artifact.path));
        if (diff === undefined) emit(step, 'unchanged');
        else {
          recordChange(state, step.artifact);
          emit(step, 'changed', `would write (${diff})`);
        }
        break;
      }
      case 'mkdir': {
        const ok = pre?.exitCode === 0 && parseInt(pre.stdout.trim(), 8) === step.mode;
        emit(step, ok ? 'unchanged' : 'changed', ok ? undefined : 'would create');
        break;
      }
      case 'systemd':
        dryRunSystemd(step, state, stats, pre, emit);
        break;
      case 'exec': {
        if (!inputsChanged(state, step.ifChanged)) emit(step, 'skipped', 'no input changed');
        else if (step.unless && pre?.exitCode === 0)
          emit(step, 'unchanged');
        else emit(step, 'changed', `would run (${step.why})`);
        break;
      }
      case 'fetch':
        emit(step, 'changed', `would copy ${step.size} bytes (${step.why})`);
        break;
      case 'note':
        emit(step, 'skipped');
        break;
    }
  }
}

function dryRunSystemd(
  step: Extract<Step, { kind: 'systemd' }>,
  state: HostRunState,
  stats: ReadonlyMap<string, RemoteFileStat>,
  pre: ProbeAnswer | undefined,
  emit: (step: Step, status: StepStatus, detail?: string) => void,
): void {
  const conditional = step.when === 'changed';
  switch (step.action) {
    case 'daemon-reload':
      if (!conditional || state.unitFilesChanged) emit(step, 'changed', 'would reload');
      else emit(step, 'unchanged');
      state.unitFilesChanged = false;
      return;
    case 'restart': {
      const action = restartAction(step, state, stats, pre);
      if (action === 'defer') emit(step, 'skipped', ROLLING_DETAIL);
      else if (action === 'restart') {
        state.pendingRestarts.delete(step.unit);
        state.pendingReloads.delete(step.unit);
        state.restarted.push(step.unit);
        emit(step, 'changed', 'would restart');
      } else if (action === 'reload') {
        state.pendingReloads.delete(step.unit);
        emit(step, 'changed', 'would reload (if running)');
      } else emit(step, 'unchanged');
      return;
    }
    case 'enable': {
      const enabled = pre?.stdout.trim() === 'enabled';
      emit(step, enabled ? 'unchanged' : 'changed', enabled ? undefined : 'would enable');
      return;
    }
    case 'start': {
      const active = state.restarted.includes(step.unit) || ['active', 'activating', 'reloading'].includes(pre?.stdout.trim() ?? '');
      emit(step, active ? 'unchanged' : 'changed', active ? undefined : 'would start');
      return;
    }
  }
}
