/**
 * What etcd backup and restore learn from hosts (HostFacts fields), kept in a leaf file so phase.ts
 * and the etcd phases share the types without an import cycle.
 */

/** One member's own view of itself (`endpoint status` + health against its own endpoint). */
export interface EtcdMemberFact {
  readonly healthy: boolean;
  /** Decimal uint64 as etcdctl prints it (kept as text: it exceeds 2^53). */
  readonly memberId?: string;
  /** The leader this member follows, decimal; "0" or absent without a leader. */
  readonly leaderId?: string;
  readonly revision?: number;
  readonly raftIndex?: number;
  /** Why it is not healthy, as etcd or the probe said. */
  readonly error?: string;
}

/** A snapshot file on a host, as `etcdutl snapshot status -w json` saw it (its sha256 is computed while it is copied). */
export interface EtcdSnapshotFact {
  readonly path: string;
  readonly size: number;
  /** etcd's own hash of the db (snapshot status). */
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
}

/** A snapshot file on a host that did not pass `snapshot status`, or could not be hashed. */
export interface EtcdSnapshotProblem {
  readonly path: string;
  readonly error: string;
}
