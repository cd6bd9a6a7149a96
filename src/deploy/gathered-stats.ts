/**
 * One stat round trip per host and run instead of one per phase: the run's first stat of a host
 * asks about every file its plan puts and every unit's pending markers (dry-run.ts `hostStatPaths`), and later
 * phases take their answers from it for as long as the run has written nothing on that host.
 *
 * Why: on a no-change re-apply each of prepare-hosts, binaries, certificates, etcd, control-plane
 * and nodes stat'ed its files in a round trip of its own (a channel, a login shell, the stat
 * script, `stat` and `sha256sum` per phase and host), on hosts whose CPU the cluster itself
 * already uses; binaries and certificates had no other round trip. The answers cannot differ from
 * the first stat while nothing was written on the host: the run holds the host's lock, so no other
 * kubesmith writes there, and every write of a run goes through the executor, which counts it
 * (ssh/counting-writer.ts, HostRunState.writes) before it is made. The rolling restart and the proxy
 * drain go through the same executor. After the first write, and for any path the first stat did
 * not ask about, a phase stats again as before. A dry-run writes nothing, so it stats once.
 */
import type { RemoteFileStat } from './ssh/connection.js';

/**
 * What the run's first stat of a host found for each path it asked and no phase has taken yet
 * (null: no such file). A phase takes its answers out: every path belongs to one phase's steps,
 * and a second ask (a phase run twice) finds it gone and stats again. At 5,000 simulated hosts
 * keeping every answer to the end of the run was 50 MB.
 */
export type GatheredStats = Map<string, RemoteFileStat | null>;

/** The part of a host's run state (dry-run.ts HostRunState) the first stat is kept in. */
export interface StatState {
  /** Calls that may have changed the host in this run (ssh/counting-writer.ts). */
  readonly writes: number;
  gathered?: GatheredStats;
}

/**
 * The stats of `paths`: from the run's first stat of the host while it is still the host's (no
 * write since, every path asked), else a stat round trip. The first one (nothing gathered yet,
 * nothing written) also asks `hostPaths` and keeps the answers in `state.gathered`.
 */
export async function statOnce(
  stat: (paths: readonly string[]) => Promise<ReadonlyMap<string, RemoteFileStat>>,
  paths: readonly string[],
  state: StatState,
  hostPaths: readonly string[] | undefined,
): Promise<ReadonlyMap<string, RemoteFileStat>> {
  // After a write the answers are stale for good: drop them instead of carrying them to the end.
  if (state.writes > 0) delete state.gathered;
  const gathered = state.gathered;
  if (state.writes === 0 && gathered !== undefined && paths.every((p) => gathered.has(p))) return take(gathered, paths);
  if (state.writes > 0 || gathered !== undefined || hostPaths === undefined || paths.length === 0) return stat(paths);
  const asked = [...new Set([...paths, ...hostPaths])];
  const writesBefore = state.writes;
  const stats = await stat(asked);
  // A write that overlapped the stat (none does today: the executor stats before its first step) would make it stale.
  if (state.writes === writesBefore) state.gathered = new Map(asked.map((p) => [p, stats.get(p) ?? null]));
  return state.gathered ? take(state.gathered, paths) : stats;
}

/** The answers for `paths`, taken out of `gathered`. */
function take(gathered: GatheredStats, paths: readonly string[]): ReadonlyMap<string, RemoteFileStat> {
  const out = new Map<string, RemoteFileStat>();
  for (const p of paths) {
    const s = gathered.get(p);
    if (s) out.set(p, s);
    gathered.delete(p);
  }
  return out;
}
