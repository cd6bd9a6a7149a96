/** Shapes shared by the CA (src/pki), the renderer and the deployer. */
import type { KeyAlgorithm } from '../inventory/types.js';
import type { ClusterIdentity } from './identity.js';
import type { PkiCatalogue } from './profile-types.js';
import type { CaRotation } from './rotation-record.js';

/** A certificate (and its key, unless the key is kept offline) ready to install or embed. */
export interface CertMaterial {
  /** Catalogue id, with the host for per-host certificates: "apiserver", "etcd-server@master01". */
  readonly id: string;
  readonly certPem: string;
  /** Absent for a CA whose key is kept offline (keyless mode). */
  readonly keyPem?: string;
}

/** What `pki generate` decided for one certificate, and why. */
export interface PkiDecision {
  readonly id: string;
  readonly action: 'keep' | 'issue' | 'renew' | 'blocked';
  readonly reason: string;
}

/** A kubelet bootstrap token: `<id>.<secret>`, [a-z0-9]{6}.[a-z0-9]{16}. */
export interface BootstrapToken {
  readonly id: string;
  readonly secret: string;
  readonly expires: Date;
}

/** All credential material of a cluster, as loaded from (or about to be written to) the state dir. */
export interface PkiBundle {
  readonly algorithm: KeyAlgorithm;
  readonly certs: ReadonlyMap<string, CertMaterial>;
  readonly serviceAccount: { readonly publicPem: string; readonly privatePem: string };
  readonly bootstrapToken: BootstrapToken;
  /** The catalogue the bundle was issued from: where each file is installed (pkiFilesForHost). */
  readonly catalogue: PkiCatalogue;
  /** The cluster identity record (src/pki/identity.ts): apply's preflight compares hosts against it. */
  readonly identity?: ClusterIdentity;
  /** A staged CA rotation (rotation.json): trust bundles hold old + new while it is in stage 1 or 2. */
  readonly rotation?: CaRotation;
}

/** A credential file one host receives, computed from the catalogue's installTo entries. */
export interface PkiFile {
  readonly certId: string;
  readonly path: string;
  readonly mode: number;
  readonly content: string;
  readonly secret: boolean;
}

/** Generates private keys (async, off the main thread, in parallel). Node impl in src/state/. */
export interface KeySource {
  generate(alg: KeyAlgorithm): Promise<{ readonly privateKeyPem: string }>;
}
