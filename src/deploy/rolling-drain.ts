/**
 * The load balancers around a rolling restart (RollingRestart.drain): before a wave restarts, every
 * host in front of it stops sending to it; once the wave's gate held, they send to it again. The
 * steps come from the policy (pure) and run through the same executor or dry-run printer as the
 * restarts, on hosts that are not the rollout's own (every node's API proxy).
 *
 * A proxy that cannot be drained is a warning (the restart is as safe as without a drain: the
 * other hosts serve, the clients of that proxy may see errors meanwhile). A proxy that cannot be
 * put back stops the rollout: draining the next wave there could leave it nothing to send to.
 */
import type { ProxyDrain } from './phase.js';
import type { RolloutIo } from './rollout-io.js';

/** Hosts whose steps the run cannot perform (outside --limit, failed earlier), once per rollout. */
export function warnUnreachable(drain: ProxyDrain, phase: string, io: RolloutIo): void {
  for (const host of [...drain.steps(io.plan, []).keys()].filter((h) => !io.reachable.has(h))) {
    io.emit({
      type: 'warning',
      phase,
      host,
      message: 'not part of this run (--limit, or it failed earlier): its load balancer keeps sending to each host while it restarts; run without --limit for a restart no client notices',
    });
  }
}

/**
 * Leaves exactly `hosts` out of every reachable load balancer (none: puts every host back).
 * Resolves to the first host that could not be put back, with why; draining never fails.
 */
export async function drainWave(drain: ProxyDrain, phase: string, hosts: readonly string[], io: RolloutIo): Promise<{ host: string; why: string } | undefined> {
  const steps = [...drain.steps(io.plan, hosts)].filter(([h]) => io.reachable.has(h));
  const results = await Promise.allSettled(steps.map(([h, s]) => io.run(h, s)));
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') continue;
    const host = steps[i]?.[0] ?? '';
    const why = r.reason instanceof Error ? r.reason.message : String(r.reason);
    if (hosts.length === 0) return { host, why };
    io.emit({ type: 'warning', phase, host, message: `load balancer not drained: ${why}` });
  }
  return undefined;
}
