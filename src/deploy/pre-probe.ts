/**
 * Batched read-only checks: every probe a host's steps need before deciding (exec `unless`,
 * `systemctl is-enabled/is-active`, directory modes) runs in ONE remote shell round trip per host
 * and phase, so a no-change re-apply costs a few round trips instead of one per step. The units'
 * is-enabled/is-active questions go to one systemctl each for all units (unit-states.ts).
 */
import type { HostReader } from './ssh/connection.js';
import type { Step } from './phase.js';
import { splitUnitStates, unitStatesArgv, type UnitQuery } from './unit-states.js';

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

/** The unit question a systemd step's probe asks (preProbeOf), if it asks one. */
function unitQueryOf(step: Step): { readonly query: UnitQuery; readonly unit: string } | undefined {
  const argv = preProbeOf(step);
  return step.kind === 'systemd' && argv?.[0] === 'systemctl' && (argv[1] === 'is-enabled' || argv[1] === 'is-active') ? { query: argv[1], unit: step.unit } : undefined;
}

/**
 * Runs every step's probe at once, and the phase's first-look probes with them; step answers are
 * keyed by step index and are what each step's own probe (preProbeOf) answers. Unit questions are asked for all units together; units that many-unit
 * command could not answer line by line are asked one by one in a second round trip (unit-states.ts).
 */
export async function runPreProbes(host: HostReader, steps: readonly Step[], signal: AbortSignal, looks: readonly (readonly string[] | undefined)[] = []): Promise<PreAnswers> {
  const units = new Map<UnitQuery, string[]>();
  const own = steps.map((step) => {
    const q = unitQueryOf(step);
    if (!q) return preProbeOf(step);
    const list = units.get(q.query) ?? [];
    if (!list.includes(q.unit)) units.set(q.query, [...list, q.unit]);
    return undefined;
  });
  const groups = [...units];
  const lookAt = steps.length + groups.length;
  const answers = await batchProbe(host, [...own, ...groups.map(([query, list]) => unitStatesArgv(query, list)), ...looks], signal);
  const states = new Map<string, ProbeAnswer>();
  groups.forEach(([query, list], g) => {
    for (const [unit, a] of splitUnitStates(query, list, answers.get(steps.length + g))) states.set(`${query} ${unit}`, a);
  });
  const unanswered = [...new Set(steps.flatMap((step) => {
    const q = unitQueryOf(step);
    return q && !states.has(`${q.query} ${q.unit}`) ? [`${q.query} ${q.unit}`] : [];
  }))];
  if (unanswered.length > 0) {
    const again = await batchProbe(host, unanswered.map((k) => ['systemctl', ...k.split(' ')]), signal);
    unanswered.forEach((k, i) => {
      const a = again.get(i);
      if (a) states.set(k, a);
    });
  }
  const out = new Map<number, ProbeAnswer>();
  steps.forEach((step, i) => {
    const q = unitQueryOf(step);
    const a = q ? states.get(`${q.query} ${q.unit}`) : answers.get(i);
    if (a) out.set(i, a);
  });
  const looked = new Map(looks.flatMap((_, k) => { const a = answers.get(lookAt + k); return a ? [[k, a] as const] : []; }));
  return { steps: out, looks: looked };
}

/** What a phase's step run may also do: the host's first stat (deploy/gathered-stats.ts), the first look (Phase.firstLook). */
export interface StepExtras {
  readonly hostPaths?: readonly string[];
  readonly looks?: readonly (readonly string[] | undefined)[];
}

/** Phase.firstLook's answers by position; undefined when the steps wrote on the host (verify looks itself). */
export type FirstLook = ReadonlyMap<number, ProbeAnswer> | undefined;

/** The pre-probes' answers by step index, and the phase's first-look answers by position (Phase.firstLook). */
export interface PreAnswers {
  readonly steps: ReadonlyMap<number, ProbeAnswer>;
  readonly looks: ReadonlyMap<number, ProbeAnswer>;
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
