/**
 * Readiness checks for started components, run on the host itself (no ports exposed to the
 * operator needed). Components whose binary does not run were not started: their checks are
 * reported as skipped with the reason.
 */
import type { PlannedHost } from '../../plan/types.js';
import { hostPart } from '../../render/endpoints.js';
import type { HostReader } from '../ssh/connection.js';
import type { PhaseContext, PhaseInput } from '../phase.js';
import { unitBinaries, type ShippingPhase } from './_artifacts.js';
import { verifyUnitFiles, waitFor } from './_units.js';
import { batchProbe, type ProbeAnswer } from '../pre-probe.js';

/** The on-host probe that proves a unit serves, by unit name. */
export function readinessProbe(unit: string, planned: PlannedHost, apiPort: number): readonly string[] | undefined {
  const path = (suffix: string): string | undefined => planned.artifacts.find((a) => a.path.endsWith(suffix))?.path;
  const ctr = path('/ctr');
  switch (unit) {
    case 'kube-apiserver.service': {
      // /readyz is readable by every authenticated identity (system:public-info-viewer). This
      // host's own apiserver, at its internalIP as the controller-manager reaches it: it listens
      // there in every HA mode, while 127.0.0.1 is the local proxy with ha: local-proxy (endpoints.ts).
      // curl with the apiserver's own kubelet-client pair (files beside the CA it trusts) answers
      // what `kubectl get --raw /readyz` did, without a 100 MB Go binary's start (~0.2 s of CPU).
      // Every probe has a time limit: the first look runs in the pre-probe round trip, which a
      // hung probe must not hold up.
      const cert = path('/apiserver-kubelet-client.pem');
      const key = path('/apiserver-kubelet-client-key.pem');
      const ca = cert ? `${cert.slice(0, cert.lastIndexOf('/'))}/ca.pem` : undefined;
      return cert && key && ca ? ['curl', '-fsS', '-m', '10', '--cacert', ca, '--cert', cert, '--key', key, `https://${hostPart(planned.host.internalIP)}:${apiPort}/readyz`] : undefined;
    }
    case 'kube-controller-manager.service':
      return ['curl', '-fsk', '-m', '10', 'https://127.0.0.1:10257/healthz'];
    case 'kube-scheduler.service':
      return ['curl', '-fsk', '-m', '10', 'https://127.0.0.1:10259/healthz'];
    case 'kubelet.service':
      return ['curl', '-fs', '-m', '10', 'http://127.0.0.1:10248/healthz'];
    case 'kube-proxy.service':
      return ['curl', '-fs', '-m', '10', 'http://127.0.0.1:10256/healthz'];
    case 'containerd.service':
      return ctr ? [ctr, '--address', '/run/containerd/containerd.sock', '--timeout', '10s', 'version'] : undefined;
    default:
      return ['systemctl', 'is-active', unit];
  }
}

/** What a ready note names as the check: "/readyz", "ctr version", the URL or the command's last word. */
export function readinessLabel(unit: string, probe: readonly string[]): string {
  if (unit === 'kube-apiserver.service') return '/readyz';
  const last = probe[probe.length - 1] ?? '';
  return last === 'version' ? 'ctr version' : last;
}

/** The readiness probe of each of the phase's units, in unitBinaries order; none for a unit whose binary does not run. */
export function readinessProbes(input: PhaseInput, phase: ShippingPhase): readonly (readonly string[] | undefined)[] {
  const { host: planned, facts } = input;
  const apiPort = input.plan.inventory.cluster.apiServer.port;
  return [...unitBinaries(planned, phase)].map(([unit, bin]) => (facts.runnable?.get(bin) === undefined ? undefined : readinessProbe(unit, planned, apiPort)));
}

/**
 * Checks every started unit of the phase; throws when one is not ready by the deadline. The first
 * look is every probe in one round trip, or the answers the pre-probe round trip brought when the
 * steps wrote nothing (input.firstLook, Phase.firstLook = readinessProbes): usually all ready on a
 * re-apply. Only the units not ready yet are then waited for, each on its own.
 */
export async function checkReadiness(host: HostReader, input: PhaseInput, phase: ShippingPhase, ctx: PhaseContext): Promise<readonly string[]> {
  const { host: planned, facts } = input;
  const units = [...unitBinaries(planned, phase)];
  const probes = readinessProbes(input, phase);
  const firstLook = input.firstLook ?? (await batchProbe(host, probes, ctx.signal, 20_000).catch((): ReadonlyMap<number, ProbeAnswer> => new Map()));
  // All units are checked at once; notes keep the unit order.
  const results = await Promise.all(
    units.map(async ([unit, bin], i): Promise<string | undefined> => {
      if (facts.runnable?.get(bin) === undefined) return `${unit}: readiness check skipped: ${bin} does not run (--version failed), so the unit was not started`;
      const probe = probes[i];
      if (!probe) return undefined;
      const r = firstLook.get(i)?.exitCode === 0 ? { ok: true, output: '' } : await waitFor(host, probe, ctx);
      if (!r.ok) throw new Error(`${unit} not ready: \`${probe.join(' ')}\`: ${r.output.split('\n').slice(-3).join(' ')}; see \`journalctl -u ${unit}\``);
      return `${unit}: ready (${readinessLabel(unit, probe)})`;
    }),
  );
  return results.filter((n): n is string => n !== undefined);
}

/**
 * A service phase's verify: its unit files (`systemd-analyze verify`, when one changed) and every
 * started unit's readiness, side by side: on a new node the analysis (~0.3 s of the host's CPU)
 * ran first and the readiness wait only after it, though neither needs the other.
 */
export async function verifyService(host: HostReader, input: PhaseInput, phase: ShippingPhase, ctx: PhaseContext): Promise<readonly string[]> {
  const [units, ready] = await Promise.all([verifyUnitFiles(host, input.host, phase, ctx, input.changedPaths ?? new Set()), checkReadiness(host, input, phase, ctx)]);
  return [...units, ...ready];
}
