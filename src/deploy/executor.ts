/**
 * The one place that changes hosts: Step[] -> HostWriter calls for one host. A put is skipped when
 * the remote sha256, mode and owner already match; a unit restarts only when one of its inputs
 * changed (artifact.restarts). Binaries stream from the extracted bundle through a shared upload
 * queue (k0sctl's ConcurrentUploads), never held whole in memory; writeFile is atomic and checks
 * sha256 on the host before the rename.
 */
import { createReadStream } from 'node:fs';
import type PQueue from 'p-queue';
import type { Artifact } from '../plan/types.js';
import type { HostWriter, RemoteFileStat } from './ssh/connection.js';
import type { Clock } from '../shared/clock.js';
import { InternalError, RemoteCommandError, StateError } from '../shared/errors.js';
import type { Step, StepStatus } from './phase.js';
import { describeStep } from './steps.js';
import { runPreProbes, type FirstLook, type ProbeAnswer, type StepExtras } from './pre-probe.js';
import { statOnce } from './gathered-stats.js';
import { countingWriter } from './ssh/counting-writer.js';
import {
  diffArtifact,
  inputsChanged,
  PENDING_RESTART_DIR,
  pathsToStat,
  pendingMarker,
  pendingReloadMarker,
  restartAction,
  recordChange,
  ROLLING_DETAIL,
  type HostRunState,
  type StepRunOptions,
} from './dry-run.js';
import { stepEvent } from './events.js';
import { receiveFile } from '../state/fetched-file.js';

/** Executor settings; `uploads` is shared by all hosts so the cap is global. */
export interface ExecutorOptions extends StepRunOptions {
  readonly uploads: PQueue;
  readonly clock: Clock;
}

/** A step failed on a host: the runner reports it with the step's description. */
export class StepFailed extends Error {
  readonly step: string;
  readonly error: Error;
  constructor(step: string, error: Error) {
    super(`${step}: ${error.message}`, { cause: error });
    this.step = step;
    this.error = error;
  }
}

/**
 * Runs the steps in order; throws StepFailed on the first failing step. Returns the first-look
 * answers (Phase.firstLook) when the steps wrote nothing on the host; `hostPaths`: gathered-stats.ts.
 */
export async function executeSteps(target: HostWriter, steps: readonly Step[], state: HostRunState, opts: ExecutorOptions, more: StepExtras = {}): Promise<FirstLook> {
  const host = countingWriter(target, state);
  const writes = state.writes;
  const [stats, probed] = await Promise.all([statOnce((paths) => host.stat(paths, { signal: opts.signal, recordDigests: true }), pathsToStat(steps), state, more.hostPaths), runPreProbes(host, steps, opts.signal, more.looks)]);
  const pre = probed.steps;
  const emit = (step: Step, status: StepStatus, detail: string | undefined): void => opts.emit(stepEvent(opts.phase, host.name, step, status, detail));
  for (let i = 0; i < steps.length; ) {
    opts.signal.throwIfAborted();
    let j = i;
    while (steps[j]?.kind === 'put') j += 1;
    if (j > i) {
      await putBatch(host, steps.slice(i, j) as PutStep[], state, stats, opts, emit);
      i = j;
      continue;
    }
    const step = steps[i] as Step;
    try {
      const [status, detail] = await executeStep(host, step, state, stats, pre.get(i), opts);
      emit(step, status, detail);
    } catch (err) {
      if (opts.signal.aborted) throw err;
      throw new StepFailed(describeStep(step), err instanceof Error ? err : new Error(String(err)));
    }
    i += 1;
  }
  return state.writes === writes ? probed.looks : undefined;
}

type PutStep = Extract<Step, { kind: 'put' }>;

/** Files written at once per host: enough to hide round-trip latency, below sshd's MaxSessions. */
const PARALLEL_WRITES = 6;

/**
 * Consecutive puts: unchanged ones are reported, the pending-restart markers of all changed ones
 * are created in one command, then the changed files are written in parallel. Every write
 * settles before the first failure is thrown, so nothing is left in flight.
 */
async function putBatch(
  host: HostWriter,
  batch: readonly PutStep[],
  state: HostRunState,
  stats: ReadonlyMap<string, RemoteFileStat>,
  opts: ExecutorOptions,
  emit: (step: Step, status: StepStatus, detail: string | undefined) => void,
): Promise<void> {
  const changed = batch.flatMap((step) => {
    const diff = diffArtifact(step.artifact, stats.get(step.artifact.path));
    if (diff === undefined) emit(step, 'unchanged', undefined);
    return diff === undefined ? [] : [{ step, diff }];
  });
  if (changed.length === 0) return;
  const units = [...new Set(changed.flatMap((c) => c.step.artifact.restarts))];
  const reloads = [...new Set(changed.flatMap((c) => c.step.artifact.reloads ?? []))];
  // Mark restarts (and reloads) pending on the host first: if we die between the write and the
  // restart, the next apply sees an unchanged file but still restarts the unit.
  if (units.length + reloads.length > 0) {
    try {
      await run(host, ['sh', '-c', 'mkdir -p -m 700 "$1" && shift && touch "$@"', 'sh', PENDING_RESTART_DIR, ...units.map(pendingMarker), ...reloads.map(pendingReloadMarker)], opts);
    } catch (err) {
      throw new StepFailed(`mark ${[...units, ...reloads.map((u) => `${u} (reload)`)].join(', ')} for restart`, err instanceof Error ? err : new Error(String(err)));
    }
  }
  const failures: StepFailed[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let k = next++; k < changed.length && failures.length === 0 && !opts.signal.aborted; k = next++) {
      const { step, diff } = changed[k] as (typeof changed)[number];
      try {
        await put(host, step.artifact, stats.get(step.artifact.path), opts);
        recordChange(state, step.artifact);
        emit(step, 'changed', diff);
      } catch (err) {
        failures.push(new StepFailed(describeStep(step), err instanceof Error ? err : new Error(String(err))));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, changed.length) }, worker));
  opts.signal.throwIfAborted();
  if (failures[0]) throw failures[0];
}

type Outcome = readonly [StepStatus, string?];

async function executeStep(
  host: HostWriter,
  step: Step,
  state: HostRunState,
  stats: ReadonlyMap<string, RemoteFileStat>,
  pre: ProbeAnswer | undefined,
  opts: ExecutorOptions,
): Promise<Outcome> {
  switch (step.kind) {
    case 'put':
      throw new InternalError('put steps run in batches');
    case 'mkdir': {
      if (pre?.exitCode === 0 && parseInt(pre.stdout.trim(), 8) === step.mode) return ['unchanged'];
      await run(host, ['mkdir', '-p', '-m', step.mode.toString(8), step.path], opts);
      await run(host, ['chmod', step.mode.toString(8), step.path], opts);
      return ['changed', 'created'];
    }
    case 'systemd':
      return systemd(host, step, state, stats, pre, opts);
    case 'exec': {
      if (!inputsChanged(state, step.ifChanged)) return ['skipped', 'no input changed'];
      if (step.unless && pre?.exitCode === 0) return ['unchanged'];
      const r = await host.exec(step.argv, { signal: opts.signal });
      if (r.exitCode === 0) return ['changed'];
      if (step.tolerate !== undefined) return ['warning', `${step.tolerate} (exit ${r.exitCode}: ${lastLine(r.stderr)})`];
      throw commandError(host.name, step.argv, r.exitCode, r.stderr);
    }
    case 'fetch':
      return fetch(host, step, opts);
    case 'note':
      return ['skipped'];
  }
}

/**
 * Copies a remote file to the operator machine over the host's connection, streamed (never held
 * in memory), hashed as it arrives and kept only when it matches the host's sha256.
 */
async function fetch(host: HostWriter, step: Extract<Step, { kind: 'fetch' }>, opts: ExecutorOptions): Promise<Outcome> {
  const incoming = receiveFile(step.to);
  const started = opts.clock.now().getTime();
  try {
    const r = await host.download(step.path, incoming.sink, { signal: opts.signal, timeoutMs: 3_600_000 });
    if (r.exitCode !== 0) throw commandError(host.name, ['cat', step.path], r.exitCode, r.stderr);
    const hostSha = /^([0-9a-f]{64})\s/m.exec(r.stderr)?.[1];
    const want = step.sha256 ?? hostSha;
    if (want === undefined) throw commandError(host.name, ['sha256sum', step.path], 1, `no sha256 from the host: ${r.stderr}`);
    if (step.sha256 !== undefined && hostSha !== undefined && hostSha !== step.sha256) {
      throw new StateError(`${host.name}: ${step.path} changed on the host since it was planned: sha256 ${hostSha}, planned ${step.sha256}; nothing was kept`, {
        hint: 'run the command again: it plans from what the host has now',
      });
    }
    const got = await incoming.commit(want);
    const durationMs = opts.clock.now().getTime() - started;
    opts.emit({ type: 'upload', host: host.name, path: step.to, bytes: got.bytes, durationMs });
    return ['changed', `${step.why}; ${got.bytes} bytes, sha256 ${got.sha256} matches the host's`];
  } catch (err) {
    incoming.abort();
    throw err;
  }
}

async function put(host: HostWriter, a: Artifact, stat: RemoteFileStat | undefined, opts: ExecutorOptions): Promise<void> {
  if (a.sha256 === undefined) throw new InternalError(`${a.id}: binary not resolved from the bundle before apply`);
  if (stat && stat.sha256 === a.sha256) {
    // Only mode/owner differ: fix them in place instead of re-uploading.
    await run(host, ['chmod', a.mode.toString(8), a.path], opts);
    await run(host, ['chown', a.owner, a.path], opts);
  } else {
    await upload(host, a, opts); // writeFile creates missing parent directories
  }
}

async function upload(host: HostWriter, a: Artifact, opts: ExecutorOptions): Promise<void> {
  const meta = { mode: a.mode, owner: a.owner, sha256: a.sha256 ?? '' };
  if (typeof a.content === 'string') {
    await host.writeFile(a.path, Buffer.from(a.content, 'utf8'), meta, { signal: opts.signal });
    return;
  }
  const local = a.content.localFile;
  if (local === undefined) throw new InternalError(`${a.id}: binary ${a.content.member} has no extracted local file`);
  await opts.uploads.add(
    async () => {
      const started = opts.clock.now().getTime();
      await host.writeFile(a.path, createReadStream(local, { highWaterMark: 1 << 20 }), meta, { signal: opts.signal, timeoutMs: 3_600_000 });
      const durationMs = opts.clock.now().getTime() - started;
      opts.emit({ type: 'upload', host: host.name, path: a.path, bytes: typeof a.content === 'string' ? 0 : (a.content.size ?? 0), durationMs });
    },
  );
  opts.signal.throwIfAborted();
}

async function systemd(
  host: HostWriter,
  step: Extract<Step, { kind: 'systemd' }>,
  state: HostRunState,
  stats: ReadonlyMap<string, RemoteFileStat>,
  pre: ProbeAnswer | undefined,
  opts: ExecutorOptions,
): Promise<Outcome> {
  const noBlock = step.noBlock === true ? ['--no-block'] : [];
  switch (step.action) {
    case 'daemon-reload': {
      const needed = step.when !== 'changed' || state.unitFilesChanged;
      state.unitFilesChanged = false;
      if (!needed) return ['unchanged'];
      await run(host, ['systemctl', 'daemon-reload'], opts);
      return ['changed', 'reloaded'];
    }
    case 'enable': {
      if (pre?.stdout.trim() === 'enabled') return ['unchanged'];
      // --no-reload: the wants/ link is all boot needs, and the manager's reload that `enable` does
      // by default cost 0.3-0.5 s per unit on a new node (Debian's deb-systemd-helper enables the
      // same way). A changed unit file was loaded by the daemon-reload step before this one.
      await run(host, ['systemctl', 'enable', '--no-reload', step.unit], opts);
      return ['changed', 'enabled'];
    }
    case 'restart': {
      const action = restartAction(step, state, stats, pre);
      if (action === 'none') return ['unchanged'];
      if (action === 'defer') return ['skipped', ROLLING_DETAIL];
      if (action === 'reload') {
        // Not running: nothing to reload; the start step after this one starts it on the new file.
        await run(host, ['systemctl', 'try-reload-or-restart', step.unit], opts);
        await run(host, ['rm', '-f', pendingReloadMarker(step.unit)], opts);
        state.pendingReloads.delete(step.unit);
        return ['changed', 'reloaded'];
      }
      await run(host, ['systemctl', 'restart', ...noBlock, step.unit], opts);
      await run(host, ['rm', '-f', pendingMarker(step.unit), pendingReloadMarker(step.unit)], opts);
      state.pendingRestarts.delete(step.unit);
      state.pendingReloads.delete(step.unit);
      state.restarted.push(step.unit);
      return ['changed', 'restarted'];
    }
    case 'start': {
      // Restarted a moment ago in this run (which also starts it), or already running.
      if (state.restarted.includes(step.unit) || ['active', 'activating', 'reloading'].includes(pre?.stdout.trim() ?? '')) return ['unchanged'];
      await run(host, ['systemctl', 'start', ...noBlock, step.unit], opts);
      return ['changed', 'started'];
    }
  }
}

/** exec that throws RemoteCommandError on a non-zero exit. */
async function run(host: HostWriter, argv: readonly string[], opts: ExecutorOptions): Promise<void> {
  const r = await host.exec(argv, { signal: opts.signal });
  if (r.exitCode !== 0) throw commandError(host.name, argv, r.exitCode, r.stderr);
}

function commandError(host: string, argv: readonly string[], code: number, stderr: string): RemoteCommandError {
  const tail = stderr.split('\n').filter((l) => l.trim() !== '').slice(-20).join('\n');
  return new RemoteCommandError(host, argv.join(' '), code, tail, {
    hint: 'fix the cause shown above on the host, then run `kubesmith apply` again (it resumes where it stopped)',
  });
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}
