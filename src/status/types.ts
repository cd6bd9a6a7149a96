/**
 * What `kubesmith status` reports, section by section. Every section carries its own error, so an
 * unreachable host or API degrades that section only; the verdict (verdict.ts) reads them all.
 * The same shape is printed by --json.
 */
import type { CsrRow } from '../kube/csr-table.js';
import type { CheckRow, CheckStatus } from '../pki/check.js';

/** kube-apiserver /readyz as answered through one control-plane host (or --server). */
export interface ApiserverRow {
  /** Inventory host, or the --server URL. */
  readonly host: string;
  readonly endpoint: string;
  readonly ready: boolean;
  /** "ok", the failed checks ("[-]etcd failed: reason withheld"), or why it could not be asked. */
  readonly detail: string;
}

/** One etcd member as its own host's etcdctl sees it. */
export interface EtcdMemberRow {
  readonly host: string;
  readonly endpoint: string;
  readonly healthy: boolean;
  /** etcdctl's "took" of the health check, e.g. "9.2ms". */
  readonly took?: string;
  /** Hex member id (etcdctl prints decimal uint64; kept exact, see etcd.ts). */
  readonly memberId?: string;
  readonly leaderId?: string;
  readonly isLeader?: boolean;
  readonly version?: string;
  readonly dbSizeBytes?: number;
  readonly raftTerm?: number;
  readonly error?: string;
}

/** The etcd section; `skipped` when SSH is not used (--server). */
export interface EtcdSection {
  readonly members: readonly EtcdMemberRow[];
  readonly skipped?: string;
}

/** The current holder of a leader-election Lease (kube-controller-manager, kube-scheduler). */
export interface LeaderRow {
  readonly component: string;
  /** "master01_3f6c..." as the component writes it; undefined when the lease is missing. */
  readonly holder?: string;
  /** RFC 3339 renewTime. */
  readonly renewTime?: string;
  /** Seconds since the last renewal. */
  readonly renewedAgoSeconds?: number;
  readonly leaseDurationSeconds?: number;
  /** True when renewTime + leaseDurationSeconds is in the past (nobody holds it). */
  readonly expired: boolean;
  readonly error?: string;
}

/** One node, registered and/or in the inventory (columns of `kubectl get nodes` plus what is wrong). */
export interface NodeRow {
  readonly name: string;
  /** Ready, NotReady, Unknown (kubectl's STATUS, ",SchedulingDisabled" when cordoned), or "missing". */
  readonly status: string;
  readonly roles: string;
  readonly version: string;
  readonly internalIP: string;
  readonly age: string;
  /** Pressure/unavailable conditions that are True: MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable. */
  readonly conditions: readonly string[];
  readonly inInventory: boolean;
  readonly problem?: string;
}

/** Pending CSRs with the decision `kubesmith approve` would take. */
export interface CsrSection {
  readonly pending: number;
  readonly approvable: number;
  /** Kubelet CSRs that fail a check: left for a human. */
  readonly leftForHuman: number;
  readonly rows: readonly CsrRow[];
  readonly error?: string;
}

/** One certificate from the local PKI state (pki/check.ts). */
export interface CertRow {
  readonly id: string;
  readonly kind: CheckRow['kind'];
  readonly expires?: string;
  readonly residual: string;
  /** pki check's status (src/pki/check.ts), or expiring (within the warning window). */
  readonly status: CheckStatus | 'expiring';
}

/** The certificate expiry summary. */
export interface CertSection {
  readonly total: number;
  readonly ok: number;
  /** Days within which a certificate counts as expiring. */
  readonly warnDays: number;
  readonly soonest?: { readonly id: string; readonly expires: string; readonly residual: string };
  /** Every certificate that is not ok. */
  readonly attention: readonly CertRow[];
  readonly error?: string;
  /** The certificates on the hosts status connects to over SSH (src/status/remote-certs.ts); absent with --server. */
  readonly remote?: RemoteCertSection;
}

/** A deployed place that needs attention (`pki check --remote`'s row, shortened). */
export interface RemoteCertAttention {
  readonly host: string;
  readonly certificate: string;
  readonly location: string;
  /** The sync column (src/pki/remote/types.ts). */
  readonly status: string;
  readonly expires?: string;
  readonly residual: string;
  readonly expired: boolean;
}

/** What the checked hosts hold, compared with the local PKI state. */
export interface RemoteCertSection {
  /** The hosts asked (status's etcd connections); `pki check --remote` asks every host. */
  readonly hosts: readonly string[];
  readonly totalHosts: number;
  /** Deployed places compared with the state, and how many of them hold the state's certificate. */
  readonly places: number;
  readonly inSync: number;
  readonly attention: readonly RemoteCertAttention[];
  readonly error?: string;
}

/** The bootstrap token kubesmith issued. */
export interface TokenInfo {
  readonly id: string;
  readonly expires: string;
  readonly expired: boolean;
}

/** The whole report (also the --json document). */
export interface StatusReport {
  /** False when anything listed in `problems` is present; see verdict.ts for the rules. */
  readonly healthy: boolean;
  /** Why it is not healthy, one line each. */
  readonly problems: readonly string[];
  /** Worth knowing but not unhealthy (pending CSRs, expiring certificates, expired token). */
  readonly warnings: readonly string[];
  /** The API connection the cluster-wide sections used. */
  readonly endpoint: string;
  readonly identity: string;
  readonly version: string;
  readonly readyz: { readonly ok: boolean; readonly detail: string };
  readonly apiservers: readonly ApiserverRow[];
  readonly etcd: EtcdSection;
  readonly leaders: readonly LeaderRow[];
  readonly nodes: readonly NodeRow[];
  readonly nodesError?: string;
  readonly csrs: CsrSection;
  readonly token?: TokenInfo;
  readonly certificates: CertSection;
}
