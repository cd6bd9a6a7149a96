/** gather-facts: OS, arch, systemd, container, clock, swap, listeners, modules, disk, trust files, expired leaves, runnable unit binaries (one probe). */
import type { Phase } from '../phase.js';
import { factsScript, parseFacts } from './_facts.js';
import { trustPaths } from './_identity-checks.js';
import { watchedCerts } from '../expired-certs.js';
import { certNotAfter } from '../../pki/x509-read.js';
import type { ClusterPlan } from '../../plan/types.js';
import { unitBinaries, type ShippingPhase } from './_artifacts.js';

/** The phases that start units: their binaries are judged runnable in the facts round trip (_facts.ts). */
const UNIT_PHASES: readonly ShippingPhase[] = ['etcd', 'control-plane', 'nodes'];

// Certificate ends by PEM, per plan (a memo of a pure function): every worker holds the same
// kube-proxy client certificate, and parsing it again per host was 9 % of a 5,000-host dry-run.
const ends = new WeakMap<ClusterPlan, Map<string, Date>>();
function notAfterFor(plan: ClusterPlan): (pem: string) => Date {
  let seen = ends.get(plan);
  if (seen === undefined) ends.set(plan, (seen = new Map()));
  const memo = seen;
  return (pem) => {
    let d = memo.get(pem);
    if (d === undefined) memo.set(pem, (d = certNotAfter(pem)));
    return d;
  };
}

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
    const bins = UNIT_PHASES.flatMap((p) => [...unitBinaries(input.host, p).values()]);
    const script = factsScript(trustPaths(input.plan).map((t) => t.path), of('pem'), of('kubeconfig'), bins);
    const r = await host.probe(['sh', '-c', script], { signal: ctx.signal, timeoutMs: 60_000 });
    const t1 = ctx.clock.now().getTime();
    if (r.exitCode !== 0) throw new Error(`facts probe failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
    return parseFacts(r.stdout, (t0 + t1) / 2, notAfterFor(input.plan));
  },
  plan: () => [],
};
