/**
 * Shapes of `pki check --remote`: what to look at on each host (Expectation), what the host
 * answered (HostObservation), and the report rows (RemoteCertRow). Pure data.
 */

/** Where a certificate was found: a deployed file, a kubeconfig field, a TLS endpoint, the kubelet's own files, or the host itself (unreachable). */
export type RemoteSource = 'file' | 'kubeconfig' | 'served' | 'kubelet' | 'host';

/** The kubeconfig fields that carry certificates (client-key-data is never read). */
export type KubeconfigField = 'certificate-authority-data' | 'client-certificate-data';

/**
 * The sync column. `in sync`, `kubelet-rotated`, `not serving`, `not checked` and `not issued` are
 * informational; every other status is a problem (PROBLEM_STATUSES) and makes the command exit 1.
 */
export type RemoteStatus =
  | 'in sync'
  | 'differs from state'
  | 'not deployed'
  | 'served != on disk'
  | 'kubelet-rotated'
  | 'wrong signer'
  | 'unreadable'
  | 'not serving'
  | 'not checked'
  | 'not issued'
  | 'unreachable';

/** Statuses that need the operator: the exit code is 1 when a row has one. */
export const PROBLEM_STATUSES: ReadonlySet<RemoteStatus> = new Set<RemoteStatus>(['differs from state', 'not deployed', 'served != on disk', 'wrong signer', 'unreadable', 'unreachable']);

/** One certificate to look at on one host, with what the state says it should be. */
export interface Expectation {
  readonly host: string;
  /** Catalogue id without "@host" ("etcd-server"), or "kubelet-client" / "kubelet-serving". */
  readonly certificate: string;
  /** The state's id ("etcd-server@cp1"); absent for the kubelet's own certificates. */
  readonly stateId?: string;
  readonly source: Exclude<RemoteSource, 'host'>;
  /** The remote file (file, kubeconfig, kubelet), or the file the endpoint should serve (served). */
  readonly path?: string;
  readonly field?: KubeconfigField;
  /** "10.0.0.1:2379" for served rows. */
  readonly endpoint?: string;
  /** The certificates the plan deploys there (PEM blocks, in order); absent for kubelet rows. */
  readonly expected?: readonly string[];
}

/** What the host answered for one file. */
export type FileObservation =
  | { readonly state: 'missing' }
  | { readonly state: 'unreadable'; readonly reason: string }
  /** `certs`: PEM CERTIFICATE blocks of a certificate file; `fields`: base64 values of a kubeconfig. */
  | { readonly state: 'ok'; readonly certs: readonly string[]; readonly fields: ReadonlyMap<KubeconfigField, string> };

/** What a TLS handshake from the host showed. */
export type TlsObservation =
  | { readonly state: 'ok'; readonly cert: string }
  | { readonly state: 'failed'; readonly reason: string }
  | { readonly state: 'no-openssl' };

/** Everything one probe round trip returned. */
export interface HostObservation {
  readonly files: ReadonlyMap<string, FileObservation>;
  readonly tls: ReadonlyMap<string, TlsObservation>;
}

/** One line of the report. */
export interface RemoteCertRow {
  readonly host: string;
  readonly certificate: string;
  readonly stateId?: string;
  readonly source: RemoteSource;
  /** The path (with " [ca]" / " [client]" for kubeconfig fields), the endpoint, or the host's address. */
  readonly location: string;
  readonly status: RemoteStatus;
  readonly expires?: Date;
  readonly residualMs?: number;
  /** The renewal window of this certificate's lifetime (renewal.ts): inside it, the row needs attention. */
  readonly renewWithinMs?: number;
  /** The CA (state id) whose key verifies the signature; "self-signed"; or "unknown (issuer ...)". */
  readonly signer?: string;
  /** The number of certificates in the file (a CA bundle may hold more than one). */
  readonly count?: number;
  /** Why, for anything but in sync: the error, the differing notAfter, the file it should serve. */
  readonly detail?: string;
}

/** A host that could not be asked. */
export interface HostFailure {
  readonly host: string;
  readonly address: string;
  readonly error: string;
}
