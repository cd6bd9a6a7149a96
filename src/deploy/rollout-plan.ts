/**
 * The order of a rolling restart, as data (pure): which hosts restart together, in what order, and
 * the one-line description `plan`, `apply --dry-run` and `apply` print. deploy/rolling.ts runs it.
 */
import type { BatchSize } from '../inventory/types.js';
import type { ClusterPlan } from '../plan/types.js';
import type { RollingRestart, RolloutTier, Step } from './phase.js';

/** Hosts restarted at once; the next wave starts only after the gate passed. */
export interface RolloutWave {
  readonly hosts: readonly string[];
  /** Set on a first wave restarted together without a gate between its hosts: why. */
  readonly together?: string;
}

/** A batch size for a group of n hosts: a count (at most n), or a percentage rounded down, at least 1. */
export function batchSizeOf(size: BatchSize, n: number): number {
  const wanted = typeof size === 'number' ? size : Math.floor((n * Number(size.slice(0, -1))) / 100);
  return Math.max(1, Math.min(wanted, Math.max(n, 1)));
}

/** "concurrency.restarts.workers 20% of 10 = 2 at a time". */
export function batchWhy(key: string, size: BatchSize, n: number): string {
  const k = batchSizeOf(size, n);
  return `concurrency.restarts.${key} ${size}${typeof size === 'number' ? '' : ` of ${n}`} = ${k} at a time`;
}

/** Options of rolloutWaves. */
export interface WaveOptions {
  /** Hosts that restart first, together, without a gate between them: host -> reason. */
  readonly first?: ReadonlyMap<string, string>;
  /** Hosts moved to the end of their tier (the etcd leader). */
  readonly last?: readonly string[];
}

/**
 * Splits the hosts to restart into waves: the `first` hosts together, then each tier's hosts in
 * order (the `last` ones moved to the end) in batches of the tier's size. Hosts not in `restart`
 * are left out; the batch size stays that of the whole tier (20% of all workers, not of those
 * that changed).
 */
export function rolloutWaves(tiers: readonly RolloutTier[], restart: ReadonlySet<string>, opts: WaveOptions = {}): readonly RolloutWave[] {
  const waves: RolloutWave[] = [];
  const ordered = tiers.flatMap((t) => t.hosts);
  const first = ordered.filter((h) => restart.has(h) && opts.first?.has(h) === true);
  if (first.length > 0) waves.push({ hosts: first, together: [...new Set(first.map((h) => opts.first?.get(h) ?? ''))].join('; ') });
  for (const tier of tiers) {
    const hosts = tier.hosts.filter((h) => restart.has(h) && !first.includes(h));
    const late = hosts.filter((h) => opts.last?.includes(h) === true);
    const inOrder = [...hosts.filter((h) => !late.includes(h)), ...late];
    for (let i = 0; i < inOrder.length; i += tier.batchSize) waves.push({ hosts: inOrder.slice(i, i + tier.batchSize) });
  }
  return waves;
}

/** "cp1 -> {wk1, wk2} -> wk3". */
export function describeWaves(waves: readonly RolloutWave[]): string {
  return waves.map((w) => (w.hosts.length === 1 ? (w.hosts[0] ?? '') : `{${w.hosts.join(', ')}}`)).join(' -> ');
}

/**
 * One line for a rollout: "etcd: rolling restart cp1 -> wk1 -> wk2, each gated by member health +
 * leader + revision agreement", with the first wave's reason when there is one.
 */
export function describeRollout(phase: string, waves: readonly RolloutWave[], gate: string, drain?: string): string {
  const head = waves[0]?.together;
  const rest = head === undefined ? waves : waves.slice(1);
  const each = rest.some((w) => w.hosts.length > 1) ? 'each batch' : 'each';
  const rolling = `rolling restart ${describeWaves(rest)}, ${each}${drain ? ` ${drain},` : ''} gated by ${gate}`;
  if (head === undefined) return `${phase}: ${rolling}`;
  const first = `${describeWaves(waves.slice(0, 1)).replace(/^\{|\}$/g, '')} restart together first (${head})`;
  return `${phase}: ${first}, then ${rest.length ? rolling : `gated by ${gate}`}`;
}

/** What happens around each wave, for the rollout line: the proxies' drain and the guard's work. */
export function aroundWaves(policy: RollingRestart, plan: ClusterPlan): string | undefined {
  return [policy.drain?.what, policy.guard?.what(plan)].filter((x): x is string => x !== undefined).join(' and ') || undefined;
}

/** For `plan`: the order if every host of the phase had a change, with each tier's batch size. */
export function describeRolloutPolicy(phase: string, tiers: readonly RolloutTier[], gate: string, drain?: string): string {
  const all = new Set(tiers.flatMap((t) => t.hosts));
  const sizes = tiers.filter((t) => t.hosts.length > 0).map((t) => `${t.label}: ${t.why}`);
  return `${describeRollout(phase, rolloutWaves(tiers, all), gate, drain)} (${sizes.join('; ')})`;
}

/**
 * A phase with Phase.rolling: every restart step of it is a rolling one (deferred while the unit
 * runs), except one its phase marked `rolling: false` (a unit on an expired certificate restarts
 * at once: it serves nobody, phases/_expired.ts).
 */
export function markRolling(steps: readonly Step[]): readonly Step[] {
  return steps.map((s) => (s.kind === 'systemd' && s.action === 'restart' && s.rolling !== false ? { ...s, rolling: true } : s));
}
