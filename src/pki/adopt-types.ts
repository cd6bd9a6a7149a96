/**
 * `pki adopt` as data: the files read from an existing cluster's certificate directories, what was
 * recognised in them, and the report (keep / re-issue / missing per certificate, adopted CAs, files
 * not used, problems that stop `--write`). Types only.
 */
import type { CertInfo } from './x509-read.js';

/** Largest file read (a certificate is 1-2 KB; a bundle of several CAs is still a few KB). */
export const ADOPT_MAX_FILE_BYTES = 1024 * 1024;
/** Most entries examined under one --from directory (a certificate directory holds a few dozen). */
export const ADOPT_MAX_ENTRIES = 500;
/** Deepest directory level walked below a --from directory (kubeadm's pki/etcd/ is one level down). */
export const ADOPT_MAX_DEPTH = 3;

/**
 * One file found under a --from directory: its bytes, or why it was not read. `problem` marks a file
 * that should have been readable (permission denied): it may be a CA key, so it stops `--write`.
 */
export type FoundFile =
  | { readonly path: string; readonly bytes: Uint8Array }
  | { readonly path: string; readonly skipped: string; readonly problem?: true };

/** A certificate found (the same certificate in several files is one entry). */
export interface FoundCert {
  /** Where it was found: "/opt/kubernetes/ssl/ca.pem" or "master01:/opt/kubernetes/ssl/ca.pem". */
  readonly files: readonly string[];
  readonly pem: string;
  readonly info: CertInfo;
  /** SHA-256 of the DER, as openssl prints it. */
  readonly fingerprint: string;
  /** Hex of the public key's SPKI DER: how keys are matched to certificates (by content, not name). */
  readonly spki: string;
}

/** A private key found. Its PEM is only ever written to the state dir, never printed or logged. */
export interface FoundKey {
  readonly files: readonly string[];
  readonly pem: string;
  readonly spki: string;
}

/** A public key found (sa.pub). */
export interface FoundPublicKey {
  readonly files: readonly string[];
  readonly pem: string;
  readonly spki: string;
}

/** A file (or a block in it) that kubesmith does not use, and why. */
export interface IgnoredFile {
  readonly path: string;
  readonly reason: string;
}

/** Everything recognised in the files, before any decision. */
export interface FoundMaterial {
  readonly certs: readonly FoundCert[];
  readonly keys: readonly FoundKey[];
  readonly publicKeys: readonly FoundPublicKey[];
  readonly ignored: readonly IgnoredFile[];
  /** Stop `--write` (a key that does not match its certificate, an encrypted key, ...). */
  readonly problems: readonly string[];
}

/** What adopt says about one certificate (or CA, or the service-account key) kubesmith manages. */
export interface AdoptRow {
  readonly id: string;
  readonly action: 'adopt' | 'adopt-keyless' | 'keep' | 're-issue' | 'missing';
  readonly reason: string;
  /** The file(s) it comes from, when one was found. */
  readonly from?: string;
  /** CAs: SHA-256 of the certificate, to compare with `openssl x509 -noout -fingerprint -sha256` on a host. */
  readonly fingerprint?: string;
}

/** How to get a service-account key when none was found (`--service-account`). */
export type ServiceAccountChoice = 'from-ca' | 'new';

/** The whole report. `writes` is what `--write` saves (nothing when `problems` is not empty). */
export interface AdoptReport {
  readonly cas: readonly AdoptRow[];
  readonly certificates: readonly AdoptRow[];
  readonly serviceAccount: AdoptRow;
  readonly ignored: readonly IgnoredFile[];
  readonly notes: readonly string[];
  readonly problems: readonly string[];
}
