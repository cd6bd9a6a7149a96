/**
 * Work around each wave of a rolling restart on the wave's own hosts (RollingRestart.guard): a
 * Kubernetes upgrade's cordon and drain of each node (phases/_upgrade-drain.ts). Its own file so
 * phase.ts needs nothing from the rollout's I/O: GuardIo is the part of RolloutIo a guard reads.
 */
import type { ClusterPlan } from '../plan/types.js';
import type { Clock } from '../shared/clock.js';

/** What a guard sees of the rollout (deploy/rollout-io.ts RolloutIo has all of it). */
export interface GuardIo {
  readonly plan: ClusterPlan;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** How long one gate may wait (a guard waits as long for its own condition). */
  readonly timeoutMs: number;
  /** Each host's units whose restart the rollout still has to do. */
  readonly states: ReadonlyMap<string, { readonly deferredRestarts: ReadonlySet<string> }>;
  /** Hosts the run reaches. */
  readonly reachable: ReadonlySet<string>;
}

/** Each call returns lines to report and throws to stop the rollout there. */
export interface WaveGuard {
  /** For plan and the rollout line, when it does something for this plan; undefined: it does nothing. */
  what(plan: ClusterPlan): string | undefined;
  /** Once per rollout, before anything else (also when nothing restarts): release what an interrupted run left. */
  start(io: GuardIo): Promise<readonly string[]>;
  /** Before the wave restarts; a throw leaves the wave not restarted. */
  before(hosts: readonly string[], io: GuardIo): Promise<readonly string[]>;
  /** After the wave's gate held; a throw stops the rollout before the next wave. */
  after(hosts: readonly string[], io: GuardIo): Promise<readonly string[]>;
}
