/** The PKI state directory as pure data: what was read from disk, and what to write back. */

/** Raw file contents found in the state dir (absent files are undefined). */
export interface StoredPair {
  readonly certPem?: string;
  readonly keyPem?: string;
}

/** Everything `pki-store` read from `<inventory dir>/.kubesmith/<cluster>/pki/`. */
export interface PkiState {
  /** The directory, for messages. */
  readonly dir: string;
  /** By certificate id ("apiserver", "etcd-server@master01"). */
  readonly pairs: ReadonlyMap<string, StoredPair>;
  readonly serviceAccount: { readonly privatePem?: string; readonly publicPem?: string };
  readonly bootstrapTokenJson?: string;
  /** `cluster.json`, the cluster identity record (src/pki/identity.ts). */
  readonly identityJson?: string;
  /** `rotation.json`, a staged CA rotation in progress or last completed (src/pki/rotation-record.ts). */
  readonly rotationJson?: string;
}

/** One file to write (atomically) into the state dir. */
export interface PkiWrite {
  /** File name inside the state dir. */
  readonly name: string;
  readonly content: string;
  /** Keys and the token: 0600; certificates and sa.pub: 0644. */
  readonly secret: boolean;
}

/** File names inside the state dir. */
export const STATE_FILES = {
  cert: (id: string): string => `${id}.crt`,
  key: (id: string): string => `${id}.key`,
  saKey: 'sa.key',
  saPub: 'sa.pub',
  token: 'bootstrap-token.json',
} as const;

/** An empty state (fresh directory). */
export function emptyPkiState(dir: string): PkiState {
  return { dir, pairs: new Map(), serviceAccount: {} };
}
