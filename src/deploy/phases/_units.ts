/**
 * Shared planning and checks for phases that install services: put files, reload systemd when a
 * unit file changed, enable, restart only when an input changed, start. A unit whose binary does
 * not run (`--version` fails: a stub or a foreign-arch file) is installed and enabled but not
 * started, and its readiness checks are reported as skipped with that reason.
 */
import type { PlannedHost } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { HostFacts, PhaseContext, Step } from '../phase.js';
import { putSteps } from '../phase.js';
import { artifactsOf, unitBinaries, unitFile, type ShippingPhase } from './_artifacts.js';

/** Reads `<binary> --version` for each unit binary (first output line, or undefined when it fails). */
export async function probeRunnable(host: HostReader, binaries: readonly string[], ctx: PhaseContext): Promise<Partial<HostFacts>> {
  const runnable = new Map<string, string | undefined>();
  await Promise.all(
    [...new Set(binaries)].map(async (b) => {
      const r = await host.probe([b, '--version'], { signal: ctx.signal, timeoutMs: 15_000 });
      const line = `${r.stdout}\n${r.stderr}`.trim().split('\n')[0] ?? '';
      runnable.set(b, r.exitCode === 0 ? line : undefined);
    }),
  );
  return { runnable };
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

/** `systemd-analyze verify` on the phase's unit files: the "units in place and valid" check. */
export async function verifyUnitFiles(host: HostReader, planned: PlannedHost, phase: ShippingPhase, ctx: PhaseContext): Promise<readonly string[]> {
  const files = [...unitBinaries(planned, phase).keys()].flatMap((u) => unitFile(planned, u)?.path ?? []);
  if (files.length === 0) return [];
  const r = await host.probe(['systemd-analyze', 'verify', ...files], { signal: ctx.signal, timeoutMs: 60_000 });
  const own = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => files.some((f) => l.includes(f)));
  // Only findings about our own files count: verify also loads dependencies the host ships.
  if (own.length > 0) throw new Error(`systemd-analyze verify: ${own.slice(0, 10).join('; ')}`);
  const extra = r.exitCode === 0 ? '' : ` (exit ${r.exitCode} from unrelated units: ${r.stderr.trim().split('\n')[0] ?? ''})`;
  return [`systemd-analyze verify clean: ${files.length} unit file${files.length === 1 ? '' : 's'}${extra}`];
}

/** Waits until a probe succeeds or the deadline passes; returns the last result. */
export async function waitFor(
  host: HostReader,
  argv: readonly string[],
  ctx: PhaseContext,
  ok: (stdout: string) => boolean = () => true,
): Promise<{ readonly ok: boolean; readonly output: string }> {
  for (;;) {
    const r = await host.probe(argv, { signal: ctx.signal, timeoutMs: 20_000 });
    if (r.exitCode === 0 && ok(r.stdout)) return { ok: true, output: r.stdout };
    if (ctx.clock.now().getTime() > ctx.deadline || ctx.signal.aborted) return { ok: false, output: `${r.stdout}${r.stderr}`.trim() };
    await new Promise((res) => setTimeout(res, 1000));
  }
}
