/**
 * verify: the final read-only pass. Every planned file is in place with its mode, owner and size
 * (content hashes were compared by the phase that shipped it, moments ago; re-hashing hundreds of
 * MB of binaries here would double a no-change re-apply), and every unit that was started is
 * still active. Drift is reported per host.
 */
import type { Artifact } from '../../plan/types.js';
import type { Phase } from '../phase.js';
import { unitBinaries, type ShippingPhase } from './_artifacts.js';
import { batchProbe } from '../pre-probe.js';

const SERVICE_PHASES: readonly ShippingPhase[] = ['etcd', 'control-plane', 'nodes'];

function sizeOf(a: Artifact): number | undefined {
  return typeof a.content === 'string' ? new TextEncoder().encode(a.content).length : a.content.size;
}

/** Lines "path|mode|owner|size" -> drift descriptions for the planned artifacts. */
export function driftOf(artifacts: readonly Artifact[], statOut: string): readonly string[] {
  const seen = new Map(statOut.split('\n').filter(Boolean).map((l) => {
    const [path = '', mode = '', owner = '', size = ''] = l.split('|');
    return [path, { mode: parseInt(mode, 8), owner, size: Number(size) }] as const;
  }));
  return artifacts.flatMap((a) => {
    const s = seen.get(a.path);
    if (!s) return [`${a.path} (missing)`];
    const d = [s.mode !== a.mode ? `mode ${s.mode.toString(8)}` : '', s.owner !== a.owner ? `owner ${s.owner}` : '', sizeOf(a) !== undefined && s.size !== sizeOf(a) ? `size ${s.size}` : ''].filter(Boolean);
    return d.length > 0 ? [`${a.path} (${d.join(', ')})`] : [];
  });
}

/** Confirms the end state on every host. */
export const verify: Phase = {
  id: 'verify',
  title: 'Verify',
  hosts: (plan) => plan.hosts,
  plan: () => [],
  verify: async (host, { host: planned, facts }, ctx) => {
    const started = SERVICE_PHASES.flatMap((p) => [...unitBinaries(planned, p)].filter(([, bin]) => facts.runnable?.get(bin) !== undefined).map(([u]) => u));
    // Both questions in one round trip (a channel and a login shell fewer per host).
    const answers = await batchProbe(host, [['stat', '-c', '%n|%a|%U:%G|%s', ...planned.artifacts.map((a) => a.path)], started.length > 0 ? ['systemctl', 'is-active', ...started] : undefined], ctx.signal);
    const [st, active] = [answers.get(0), answers.get(1)];
    if (!st) throw new Error('no answer from `stat` of the planned files in the verify round trip; run the command again, and if it repeats, check that the host runs `sh -c` and coreutils `stat` for this SSH user');
    const drift = driftOf(planned.artifacts, st.stdout);
    if (drift.length > 0) throw new Error(`${drift.length} file(s) not as planned: ${drift.slice(0, 5).join(', ')}`);
    const states = active?.stdout.trim().split('\n') ?? [];
    const down = started.flatMap((u, i) => (states[i] === 'active' ? [] : [`${u} (${states[i] ?? 'unknown'})`]));
    if (down.length > 0) throw new Error(`not active: ${down.join(', ')}; see \`journalctl -u <unit>\` on the host`);
    return [`${planned.artifacts.length} files in place, ${started.length} unit${started.length === 1 ? '' : 's'} active`];
  },
};
