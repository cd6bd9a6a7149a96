/**
 * Phases as data. Rules every phase follows:
 * - plan() is pure: the same (plan, host, facts) gives the same steps. No I/O, no clock.
 * - gather()/verify() may only read, through the HostReader they are handed.
 * - Idempotent: re-running after success yields only "unchanged" steps, so a second apply
 *   changes nothing and restarts nothing.
 * The runner feeds the same Step[] to the executor (apply) or the dry-run printer, so a phase
 * has no way to mutate a host by itself.
 */
import type { WaveGuard } from './wave-guard.js';
import type { Artifact, ClusterPlan, PlannedHost } from '../plan/types.js';
import type { HostReader } from './ssh/connection.js';
import type { Clock } from '../shared/clock.js';
import type { EtcdMemberFact, EtcdSnapshotFact, EtcdSnapshotProblem } from './etcd-facts.js';

/** What gather-facts learned about a host (read-only probes, one round trip). */
export interface HostFacts {
  readonly os?: { readonly id: string; readonly versionId: string; readonly prettyName: string };
  /** `uname -m`: "x86_64". */
  readonly arch?: string;
  /** systemd version, absent when systemd is not PID 1. */
  readonly systemd?: string;
  /** `systemd-detect-virt -c` result ("systemd-nspawn", "lxc"), absent on bare metal and VMs. */
  readonly container?: string;
  /** Remote clock minus local clock, ms (round-trip midpoint). */
  readonly clockSkewMs?: number;
  readonly swapActive?: boolean;
  /** TCP listen port -> process name ("" when unknown). */
  readonly listeners?: ReadonlyMap<number, string>;
  /** Kernel modules loaded or available to modprobe. */
  readonly modules?: ReadonlySet<string>;
  /** Free bytes on the filesystem holding /opt. */
  readonly diskFreeBytes?: number;
  readonly firewalldActive?: boolean;
  /** getenforce: "Enforcing" | "Permissive" | "Disabled"; absent without SELinux. */
  readonly selinux?: string;
  readonly hostname?: string;
  /** Current /etc/hosts text, without kubesmith's block (_etc-hosts.ts). */
  readonly etcHosts?: string;
  /** Interface -> its IPv4/IPv6 addresses (`ip -o addr`); absent when `ip` did not answer. */
  readonly interfaces?: ReadonlyMap<string, readonly string[]>;
  /** Which of the OS-provided proxy files (LB_EXECUTABLES: nginx, its stream module, keepalived) exist. */
  readonly osFiles?: ReadonlySet<string>;
  /** Trust files found on the host (CA certificates, sa.pub) -> their text; absent when not probed. */
  readonly pkiFiles?: ReadonlyMap<string, string>;
  /** `stat -fc %T /sys/fs/cgroup`: "cgroup2fs" on cgroup v2, "tmpfs" on v1 or the hybrid hierarchy. */
  readonly cgroupFs?: string;
  /** `uname -r`: "6.1.0-28-amd64". */
  readonly kernel?: string;
  /** `nft --version`: "1.0.6"; absent when nft is not installed. */
  readonly nftVersion?: string;
  /** Binary path -> its `--version` first line, or undefined when it does not run. */
  readonly runnable?: ReadonlyMap<string, string | undefined>;
  /**
   * Watched leaf certificates (deploy/expired-certs.ts) that had expired by the host's clock when
   * gather-facts read them, before any write of the run: path -> notAfter. Absent when not probed.
   */
  readonly expiredCerts?: ReadonlyMap<string, Date>;
  /**
   * While the kubernetes CA is rotated: what the kubelet trusts and holds (phases/_kubelet-rotation.ts):
   * kubelet.kubeconfig's certificate-authority-data, and the certificate blocks of its current
   * client and serving certificates (never the keys). Absent without such a rotation.
   */
  readonly kubeletTrust?: { readonly caData?: string; readonly clientCert?: string; readonly servingCert?: string };
  /** etcd snapshot/restore: the member's own health, id, leader and revision (phases/etcd-snapshot.ts). */
  readonly etcdMember?: EtcdMemberFact;
  /** etcd remove: whether the running members still list this host (its peer URL), or why that is unknown. */
  readonly etcdListed?: { readonly listed: boolean } | { readonly error: string };
  /** etcd snapshot: the snapshot file this host holds, verified, or why it failed verification. */
  readonly etcdSnapshot?: EtcdSnapshotFact | EtcdSnapshotProblem;
}

/** When a conditional step runs. "changed": a file it depends on changed (now or in an interrupted run). */
export type StepWhen = 'always' | 'changed';

/** One thing to make true on one host. */
export type Step =
  | { readonly kind: 'put'; readonly artifact: Artifact }
  | { readonly kind: 'mkdir'; readonly path: string; readonly mode: number }
  | {
      readonly kind: 'systemd';
      readonly unit: string;
      readonly action: 'daemon-reload' | 'enable' | 'start' | 'restart';
      /** restart/daemon-reload: only when an input changed. @default "always" */
      readonly when?: StepWhen;
      /** Do not wait for the job: etcd members block until quorum, so all are started together. */
      readonly noBlock?: boolean;
      /**
       * restart: when the unit is already running, leave the restart to the phase's rolling restart
       * (Phase.rolling: host batch by batch, each gated by health); a unit not running yet starts at once.
       */
      readonly rolling?: boolean;
    }
  | {
      readonly kind: 'exec';
      readonly argv: readonly string[];
      readonly why: string;
      /** Read-only probe; exit 0 means the step is already satisfied ("unchanged"). */
      readonly unless?: readonly string[];
      /** Run only when one of these remote paths was changed by a put on this host in this run. */
      readonly ifChanged?: readonly string[];
      /** A failure is a warning with this reason instead of an error (modprobe inside a container). */
      readonly tolerate?: string;
      /** How output names the step instead of its argv (a script). */
      readonly label?: string;
    }
  | {
      /** Copies a remote file to the operator machine over the host's SSH connection (streamed). */
      readonly kind: 'fetch';
      readonly path: string;
      /** Local destination: written to a temp file (0600), checked against `sha256`, then renamed; `<to>.sha256` beside it. */
      readonly to: string;
      /** The sha256 the copy must have; when absent, the one the host computes while sending it. */
      readonly sha256?: string;
      readonly size: number;
      readonly why: string;
    }
  | { readonly kind: 'note'; readonly message: string };

/** How a step ended. */
export type StepStatus = 'changed' | 'unchanged' | 'skipped' | 'warning';

/** A preflight finding: errors fail the host, warnings are reported. */
export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly hint?: string;
}

/** What a phase's planner sees for one host. */
export interface PhaseInput {
  readonly plan: ClusterPlan;
  readonly host: PlannedHost;
  readonly facts: HostFacts;
  /** Hosts taking part in this run (after --limit and failed connections). */
  readonly activeHosts: readonly string[];
  /** Remote paths changed on this host so far in this run (for verify: skip re-checking unchanged units). */
  readonly changedPaths?: ReadonlySet<string>;
  /**
   * For verify: Phase.firstLook's answers by position, asked in the pre-probe round trip, present
   * only when the steps then wrote nothing on the host (its state is the one they saw).
   */
  readonly firstLook?: ReadonlyMap<number, { readonly exitCode: number; readonly stdout: string }>;
  /**
   * Every host's facts as the earlier phases of the run left them: for a decision that needs the
   * whole group (which etcd member takes the snapshot), made alike on each host.
   */
  readonly peers?: ReadonlyMap<string, HostFacts>;
}

/** Time budget and cancellation for gather/verify. */
export interface PhaseContext {
  readonly signal: AbortSignal;
  /** Epoch ms after which verify() stops retrying. */
  readonly deadline: number;
  readonly clock: Clock;
  readonly dryRun: boolean;
}

/** A table printed for the user after a phase (etcd endpoint health/status). */
export interface PhaseReport {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Rows that mean failure, by host name; reported as that host's failure. */
  readonly failures: readonly { readonly host: string; readonly message: string }[];
}

/** Hosts of a rolling restart that share a batch size, in restart order. */
export interface RolloutTier {
  /** "etcd members", "control-plane nodes", "workers". */
  readonly label: string;
  readonly hosts: readonly string[];
  /** Hosts restarted at once. */
  readonly batchSize: number;
  /** How the batch size was chosen, for plan output: "concurrency.restarts.workers 20% of 10". */
  readonly why: string;
}

/** What one look at a rollout's health found. */
export interface GateVerdict {
  /** Hosts the look covered (etcd: every member of the plan, also those outside the run). */
  readonly checked: readonly string[];
  /** Hosts that are not healthy, with the reason. */
  readonly unhealthy: ReadonlyMap<string, string>;
  /** A problem of the group as a whole: no leader, members disagree on the revision. */
  readonly cluster?: string;
  /** Hosts best restarted last (the etcd leader: one leader election instead of one per member). */
  readonly last?: readonly string[];
  /** Why those go last, for the rollout line: "the current leader". */
  readonly lastWhy?: string;
}

/** What a gate looks at: the group's hosts (all of the phase, or the batch just restarted) and their facts. */
export interface GateInput {
  readonly plan: ClusterPlan;
  readonly hosts: readonly PlannedHost[];
  readonly facts: ReadonlyMap<string, HostFacts>;
}

/**
 * How a phase restarts units that are ALREADY RUNNING and whose inputs changed (restart steps with
 * `rolling`): after every host's files are written, batch by batch in tier order, each batch
 * followed by the health gate before the next (deploy/rolling.ts). Units not running yet are
 * started by the phase itself on all hosts at once, as a first installation needs (etcd quorum).
 */
export interface RollingRestart {
  /** What the gate checks, for plan, dry-run and messages: "member health + leader + revision agreement". */
  readonly gate: string;
  /**
   * "group": every host of the phase must be healthy before the first restart and after each batch
   * (quorum services: etcd, kube-apiserver); "restarted": the batch just restarted must be.
   */
  readonly scope: 'group' | 'restarted';
  /** The phase's hosts in restart order and batch sizes (pure). */
  tiers(plan: ClusterPlan, hosts: readonly PlannedHost[]): readonly RolloutTier[];
  /**
   * Hosts restarted together in a first batch without a gate between them, with the reason (pure;
   * e.g. members whose deployed certificates expired serve nobody and can only recover together).
   */
  together?(input: PhaseInput): string | undefined;
  /** One read-only look at the health (no waiting: the rollout retries until its deadline). */
  check(readers: ReadonlyMap<string, HostReader>, input: GateInput, ctx: PhaseContext): Promise<GateVerdict>;
  /**
   * Runs once after the first gate held and before the first restart (etcd: a snapshot copied to
   * the operator machine). Returns the line to report; throws to stop the rollout before it starts.
   */
  before?(io: BeforeRollout): Promise<string | undefined>;
  /** How the operator goes on when `before` fails ("run it with --no-etcd-snapshot ..."). */
  readonly beforeOptOut?: string;
  /** Load balancers that stop sending to a wave's hosts while they restart (rolling-drain.ts). */
  readonly drain?: ProxyDrain;
  /** Work on a wave's own hosts around its restart (a Kubernetes upgrade's cordon and drain: phases/_upgrade-drain.ts). */
  readonly guard?: WaveGuard;
}

/** The load balancers in front of a rollout's hosts (API proxies): they drop a wave before its restart, take it back after its gate. */
export interface ProxyDrain {
  /** For plan and the rollout line: "taken out of every API proxy (nginx) ...". */
  readonly what: string;
  /** Pure: per host, the steps that leave exactly `drained` out (none: every host back in). */
  steps(plan: ClusterPlan, drained: readonly string[]): ReadonlyMap<string, readonly Step[]>;
}

/** What RollingRestart.before gets. */
export interface BeforeRollout {
  readonly plan: ClusterPlan;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  readonly readers: ReadonlyMap<string, HostReader>;
  /** The first look at the gate (who is healthy, who leads). */
  readonly verdict: GateVerdict;
  /** Runs steps on one host through the executor (apply) or the dry-run printer. */
  run(host: string, steps: readonly Step[]): Promise<void>;
  /** Where apply keeps the etcd snapshot it takes before restarting members; absent: none is taken. */
  readonly etcdSnapshot?: EtcdSnapshotTarget;
}

/** Directory (exists, 0700) and run stamp of the snapshot taken before an etcd rollout. */
export interface EtcdSnapshotTarget {
  readonly dir: string;
  readonly stamp: string;
}

/** A unit of deployment. The file name under phases/ equals the id. */
export interface Phase {
  readonly id: string;
  /** Sentence case: "Install etcd". */
  readonly title: string;
  /** Infrastructure phases run whatever --only/--skip say (connect, lock, gather-facts). */
  readonly always?: boolean;
  /** What the runner does itself for this phase instead of planning steps. */
  readonly builtin?: 'connect' | 'lock';
  /**
   * All or nothing: a failure on any host of the run stops the whole run after this phase, before
   * anything is written (connect, lock, gather-facts, preflight: a partial etcd cluster is worse than none).
   */
  readonly gate?: boolean;
  /** How long verify/report may take when the run sets no limit of its own (default 2 min). */
  readonly deadlineMs?: number;
  hosts(plan: ClusterPlan): readonly PlannedHost[];
  /** Extra read-only facts for this phase, merged over the run's gathered facts. */
  gather?(host: HostReader, input: Omit<PhaseInput, 'facts'> & { readonly facts: HostFacts }, ctx: PhaseContext): Promise<Partial<HostFacts>>;
  /** Pure checks; errors fail the host before any step runs. */
  check?(input: PhaseInput): readonly Problem[];
  plan(input: PhaseInput): readonly Step[];
  /** verify's first probes (readiness), asked with the pre-probes; see PhaseInput.firstLook. */
  firstLook?(input: PhaseInput): readonly (readonly string[] | undefined)[];
  /** Per-host readiness after the steps; throws to fail the host. Skipped in dry-run. */
  verify?(host: HostReader, input: PhaseInput, ctx: PhaseContext): Promise<readonly string[]>;
  /** Restarts of running units whose inputs changed, rolled host batch by batch behind a health gate. */
  readonly rolling?: RollingRestart;
  /** After every host finished: a cluster-wide check run through the given readers (etcd health). */
  report?(hosts: ReadonlyMap<string, HostReader>, plan: ClusterPlan, ctx: PhaseContext): Promise<PhaseReport | undefined>;
}
