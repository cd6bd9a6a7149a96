/**
 * Batched read-only checks: every probe a host's steps need before deciding (exec `unless`,
 * `systemctl is-enabled/is-active`, directory modes) runs in ONE remote shell round trip per host
 * and phase, so a no-change re-apply costs a few round trips instead of one per step.
 */
import type { HostReader } from './ssh/connection.js';
import type { Step } from './phase.js';

/** The probe a step needs, if any. */
export function preProbeOf(step: Step): readonly string[] | undefined {
  switch (step.kind) {
    case 'exec':
      return step.unless;
    case 'mkdir':
      return ['stat', '-c', '%a', step.path];
    case 'systemd':
      // A rolling restart is deferred only when the unit runs (deploy/rolling.ts).
      return step.action === 'enable'
        ? ['systemctl', 'is-enabled', step.unit]
        : step.action === 'start' || (step.action === 'restart' && step.rolling === true)
          ? ['systemctl', 'is-active', step.unit]
          : undefined;
    default:
      return undefined;
  }
}

/** Exit code and stdout of one batched probe. */
export interface ProbeAnswer {
  readonly exitCode: number;
  readonly stdout: string;
}

/** POSIX single-quoting of one argument. */
export function shQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const RUNNER = `run() { i=$1; shift; out=$("$@" 2>/dev/null); rc=$?; printf '@@ %s %s\\n%s\\n@@.\\n' "$i" "$rc" "$out"; }`;

/** Runs every step's probe at once; answers are keyed by step index. */
export function runPreProbes(host: HostReader, steps: readonly Step[], signal: AbortSignal): Promise<ReadonlyMap<number, ProbeAnswer>> {
  return batchProbe(host, steps.map(preProbeOf), signal);
}

/** Runs several read-only commands in one remote shell; answers keyed by position (undefined entries skipped). */
export async function batchProbe(host: HostReader, argvs: readonly (readonly string[] | undefined)[], signal: AbortSignal, timeoutMs?: number): Promise<ReadonlyMap<number, ProbeAnswer>> {
  // A command asked twice (a unit's restart and start steps both ask `systemctl is-active`) runs
  // once: every command is a read, and a process costs ~10 ms on a busy host.
  const firstOf = new Map<string, number>();
  const lines: string[] = [];
  argvs.forEach((argv, i) => {
    if (!argv) return;
    const line = argv.map(shQuote).join(' ');
    if (firstOf.has(line)) return;
    firstOf.set(line, i);
    lines.push(`run ${i} ${line}`);
  });
  if (lines.length === 0) return new Map();
  const r = await host.probe(['sh', '-c', [RUNNER, ...lines].join('\n')], { signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  const answers = new Map(parseAnswers(r.stdout));
  argvs.forEach((argv, i) => {
    const at = argv && firstOf.get(argv.map(shQuote).join(' '));
    const a = at === undefined ? undefined : answers.get(at);
    if (a && !answers.has(i)) answers.set(i, a);
  });
  return answers;
}

/** Parses "@@ <i> <rc>\n<stdout>\n@@.\n" records. */
export function parseAnswers(out: string): ReadonlyMap<number, ProbeAnswer> {
  const map = new Map<number, ProbeAnswer>();
  const re = /^@@ (\d+) (\d+)\n([\s\S]*?)\n@@\.$/gm;
  for (const m of out.matchAll(re)) map.set(Number(m[1]), { exitCode: Number(m[2]), stdout: m[3] ?? '' });
  return map;
}
