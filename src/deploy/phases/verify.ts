/**
 * verify: the final read-only pass. Every planned file is in place (sha256, mode, owner) and every
 * unit that was started is still active; drift is reported per host.
 */
import type { Phase } from '../phase.js';
import { diffArtifact } from '../dry-run.js';
import { unitBinaries, type ShippingPhase } from './_artifacts.js';

const SERVICE_PHASES: readonly ShippingPhase[] = ['etcd', 'control-plane', 'nodes'];

/** Confirms the end state on every host. */
export const verify: Phase = {
  id: 'verify',
  title: 'Verify',
  hosts: (plan) => plan.hosts,
  plan: () => [],
  verify: async (host, { host: planned, facts }, ctx) => {
    const stats = await host.stat(planned.artifacts.map((a) => a.path), { signal: ctx.signal });
    const drift = planned.artifacts.flatMap((a) => {
      const d = diffArtifact(a, stats.get(a.path));
      return d === undefined ? [] : [`${a.path} (${d})`];
    });
    if (drift.length > 0) throw new Error(`${drift.length} file(s) not as planned: ${drift.slice(0, 5).join(', ')}`);
    const started = SERVICE_PHASES.flatMap((p) => [...unitBinaries(planned, p)].filter(([, bin]) => facts.runnable?.get(bin) !== undefined).map(([u]) => u));
    if (started.length > 0) {
      const r = await host.probe(['systemctl', 'is-active', ...started], { signal: ctx.signal, sudo: false });
      const states = r.stdout.trim().split('\n');
      const down = started.flatMap((u, i) => (states[i] === 'active' ? [] : [`${u} (${states[i] ?? 'unknown'})`]));
      if (down.length > 0) throw new Error(`not active: ${down.join(', ')}; see \`journalctl -u <unit>\` on the host`);
    }
    return [`${planned.artifacts.length} files in place, ${started.length} units active`];
  },
};
