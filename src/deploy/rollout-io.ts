/** What the runner hands a rolling restart (deploy/rolling.ts) and its helpers (rolling-drain.ts, rolling-errors.ts). */
import type { ClusterPlan } from '../plan/types.js';
import type { HostReader } from './ssh/connection.js';
import type { Clock } from '../shared/clock.js';
import type { EmitEvent } from './events.js';
import type { EtcdSnapshotTarget, HostFacts, Step } from './phase.js';
import type { HostRunState } from './dry-run.js';

/** What the runner hands the stage: read-only views, the run's state, and a way to run steps. */
export interface RolloutIo {
  readonly plan: ClusterPlan;
  readonly dryRun: boolean;
  readonly emit: EmitEvent;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** How long one gate may wait. */
  readonly timeoutMs: number;
  /** Connected hosts of the phase that did not fail. */
  readonly readers: ReadonlyMap<string, HostReader>;
  readonly states: ReadonlyMap<string, HostRunState>;
  readonly facts: ReadonlyMap<string, HostFacts>;
  /** Runs steps on one host through the executor (apply) or the dry-run printer; throws on failure. */
  run(host: string, steps: readonly Step[]): Promise<void>;
  /** Hosts `run` reaches: the phase's and every other connected host of the run that did not fail (API proxies). */
  readonly reachable: ReadonlySet<string>;
  /** Where RollingRestart.before keeps an etcd snapshot (apply's default; absent with --no-etcd-snapshot). */
  readonly etcdSnapshot?: EtcdSnapshotTarget;
}
