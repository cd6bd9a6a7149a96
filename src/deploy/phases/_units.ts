/**
 * Shared planning and checks for phases that install services: put files, reload systemd when a
 * unit file changed, enable, restart only when an input changed, start. A unit whose binary does
 * not run (`--version` fails: a stub or a foreign-arch file) is installed and enabled but not
 * started, and its readiness checks are reported as skipped with that reason.
 */
import type { PlannedHost } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { HostFacts, PhaseContext, Step } from '../phase.js';
import { putSteps } from '../steps.js';
import { batchProbe } from '../pre-probe.js';
import { artifactsOf, unitBinaries, unitFile, type ShippingPhase } from './_artifacts.js';

/**
 * The runnable test of one binary, a shell function `runnable <binary> <flag>` (RUNNABLE_SH runs it
 * alone; gather-facts runs it for every unit binary in its own shell, and `running <binary>`, which
 * sets $pid without a subshell, first: no process at all for a binary that runs). A live process
 * executed from this very file proves it runs here: `test -ef` compares device and inode through
 * /proc/<pid>/exe, which keeps naming the old inode once the file was replaced, so a binary the
 * binaries phase just installed is never vouched for by its predecessor's process. Only when no
 * process runs it is `<binary> <flag>` started; for real Kubernetes binaries (100+ MB of Go, whose
 * init alone takes hundreds of ms of CPU) that was most of a no-change re-apply. A stub script runs
 * as /bin/sh (its exe is the interpreter) and a foreign-arch file never runs, so both still reach
 * `--version` and fail it.
 */
export const RUNNABLE_FN =
  'running() { for p in /proc/[0-9]*; do if [ "$p/exe" -ef "$1" ]; then pid=${p#/proc/}; return 0; fi; done; return 1; }; ' +
  'runnable() { if running "$1"; then echo "running as pid $pid"; return 0; fi; "$1" "$2" 2>&1 </dev/null; }';
/** RUNNABLE_FN as one `sh -c` command: `sh -c RUNNABLE_SH <binary> <flag>`. */
export const RUNNABLE_SH = `${RUNNABLE_FN}; runnable "$0" "$1"`;

/** The flag that makes a unit binary print its version (nginx: -v). */
export const versionFlag = (bin: string): string => (bin.endsWith('/nginx') ? '-v' : '--version');

/**
 * Whether each unit binary runs, in one round trip: "running as pid N" or `<binary> --version`'s
 * (nginx: -v) first line, or undefined when it does not run (RUNNABLE_SH).
 */
export async function probeRunnable(host: HostReader, binaries: readonly string[], ctx: PhaseContext): Promise<Partial<HostFacts>> {
  const bins = [...new Set(binaries)];
  const answers = await batchProbe(host, bins.map((b) => ['sh', '-c', RUNNABLE_SH, b, versionFlag(b)]), ctx.signal);
  const runnable = new Map<string, string | undefined>();
  bins.forEach((b, i) => {
    const a = answers.get(i);
    runnable.set(b, a?.exitCode === 0 ? (a.stdout.trim().split('\n')[0] ?? '') : undefined);
  });
  return { runnable };
}

/**
 * Judges the `bins` this run has not judged yet and merges the answers into the run's runnable
 * map. Each phase's facts replace the run's (runner: `{ ...facts, ...gathered }`), so returning only
 * this phase's binaries dropped the earlier ones: verify then checked only the nodes phase's units.
 * A binary is not judged twice in a run: the binaries phase wrote every one before the service
 * phases, so the API phases ask nothing again (with --only they judge what they need).
 */
export async function gatherRunnable(host: HostReader, facts: HostFacts, bins: readonly string[], ctx: PhaseContext): Promise<Partial<HostFacts>> {
  const unknown = bins.filter((b) => !(facts.runnable?.has(b) ?? false));
  if (unknown.length === 0) return {};
  const probed = (await probeRunnable(host, unknown, ctx)).runnable ?? new Map<string, string | undefined>();
  return { runnable: new Map([...(facts.runnable ?? []), ...probed]) };
}

/** Steps for a service phase; `noBlock` for units that wait on their peers (etcd quorum). */
export function serviceSteps(host: PlannedHost, phase: ShippingPhase, facts: HostFacts, noBlock = false): readonly Step[] {
  const bins = unitBinaries(host, phase);
  const steps: Step[] = [...putSteps(artifactsOf(host, phase))];
  if (bins.size === 0) return steps;
  steps.push({ kind: 'systemd', unit: '', action: 'daemon-reload', when: 'changed' });
  for (const [unit, bin] of bins) {
    steps.push({ kind: 'systemd', unit, action: 'enable' });
    if (facts.runnable?.get(bin) === undefined) {
      steps.push({ kind: 'note', message: `not starting ${unit}: ${bin} --version fails (stub or missing binary); readiness checks skipped` });
      continue;
    }
    steps.push({ kind: 'systemd', unit, action: 'restart', when: 'changed', ...(noBlock ? { noBlock } : {}) });
    steps.push({ kind: 'systemd', unit, action: 'start', ...(noBlock ? { noBlock } : {}) });
  }
  return steps;
}

/**
 * `systemd-analyze verify` on the phase's unit files: the "units in place and valid" check. Runs
 * when a unit file or a binary it starts changed in this run (a no-change re-apply skips it).
 */
export async function verifyUnitFiles(host: HostReader, planned: PlannedHost, phase: ShippingPhase, ctx: PhaseContext, changed: ReadonlySet<string>): Promise<readonly string[]> {
  const units = [...unitBinaries(planned, phase)];
  const files = units.flatMap(([u]) => unitFile(planned, u)?.path ?? []);
  if (files.length === 0) return [];
  if (!files.some((f) => changed.has(f)) && !units.some(([, bin]) => changed.has(bin))) return [];
  const r = await host.probe(['systemd-analyze', 'verify', ...files], { signal: ctx.signal, timeoutMs: 60_000 });
  const own = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => files.some((f) => l.includes(f)));
  // Only findings about our own files count: verify also loads dependencies the host ships.
  if (own.length > 0) throw new Error(`systemd-analyze verify: ${own.slice(0, 10).join('; ')}`);
  const extra = r.exitCode === 0 ? '' : ` (exit ${r.exitCode} from unrelated units: ${r.stderr.trim().split('\n')[0] ?? ''})`;
  return [`systemd-analyze verify clean: ${files.length} unit file${files.length === 1 ? '' : 's'}${extra}`];
}

/**
 * Pause before poll `attempt` (1-based): 250 ms for the first 5 s of a wait, then 1 s. A unit just
 * started is usually ready within a second or two (a new node's kubelet /healthz 0.3 s after its
 * start, kube-proxy's 1.4 s, measured on v1.36.3); a flat 1 s overshot each by up to a second, and
 * a doubling pause (150 ms to 1 s) by 0.7 s for kube-proxy. A long wait (an apiserver on a first
 * install) polls once a second, as before, so a busy host pays no more for it.
 */
export const pollPause = (attempt: number): number => (attempt <= 20 ? 250 : 1000);

/** Waits until a probe succeeds or the deadline passes; returns the last result. */
export async function waitFor(
  host: HostReader,
  argv: readonly string[],
  ctx: PhaseContext,
  ok: (stdout: string) => boolean = () => true,
): Promise<{ readonly ok: boolean; readonly output: string; readonly waited: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const r = await host.probe(argv, { signal: ctx.signal, timeoutMs: 20_000 });
    if (r.exitCode === 0 && ok(r.stdout)) return { ok: true, output: r.stdout, waited: attempt > 0 };
    if (ctx.clock.now().getTime() > ctx.deadline || ctx.signal.aborted) return { ok: false, output: `${r.stdout}${r.stderr}`.trim(), waited: true };
    await new Promise((res) => setTimeout(res, pollPause(attempt + 1)));
  }
}
