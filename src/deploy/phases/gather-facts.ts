/** gather-facts: OS, arch, systemd, container, clock, swap, listeners, modules, disk, trust files, expired leaves (one probe). */
import type { Phase } from '../phase.js';
import { factsScript, parseFacts } from './_facts.js';
import { trustPaths } from './_identity-checks.js';
import { watchedCerts } from '../expired-certs.js';

/** Read-only; the facts flow into every later phase. A gate: a host without facts stops the run. */
export const gatherFacts: Phase = {
  id: 'gather-facts',
  title: 'Gather facts',
  always: true,
  gate: true,
  hosts: (plan) => plan.hosts,
  gather: async (host, input, ctx) => {
    const t0 = ctx.clock.now().getTime();
    // The CA certificates and sa.pub on the host come back in the same round trip, for preflight,
    // and the expiry of every certificate a unit runs on (expired-certs.ts).
    const watched = watchedCerts(input.plan, input.host);
    const of = (format: string): readonly string[] => watched.filter((w) => w.format === format).map((w) => w.path);
    const script = factsScript(trustPaths(input.plan).map((t) => t.path), of('pem'), of('kubeconfig'));
    const r = await host.probe(['sh', '-c', script], { signal: ctx.signal, timeoutMs: 60_000 });
    const t1 = ctx.clock.now().getTime();
    if (r.exitCode !== 0) throw new Error(`facts probe failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
    return parseFacts(r.stdout, (t0 + t1) / 2);
  },
  plan: () => [],
};
