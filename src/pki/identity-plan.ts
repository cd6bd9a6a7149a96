/**
 * What `pki generate` does with the cluster identity record in one run: read it into the guard,
 * list the files a `--new-ca` replacement backs up (dated, before anything is replaced), and compute
 * the next record from the final bundle. Pure; pki-store writes the results.
 */
import { STATE_FILES, type PkiState, type PkiWrite } from './state-types.js';
import { storedLeavesOf, type IdentityGuard } from './ca-guard.js';
import { certFingerprint, IDENTITY_FILE, IDENTITY_NAMES, parseIdentity, publicKeyFingerprint, serializeIdentity, type ClusterIdentity, type IdentityName, type ReplacedEntry } from './identity.js';
import type { PkiCatalogue } from './profile-types.js';
import type { CertSpec } from './specs.js';
import type { PkiBundle } from './types.js';

/** Files saved under `<state>/pki/<dir>/` (0700, every file 0600) before a replacement is written. */
export interface PkiBackup {
  /** Relative to the PKI state directory: "backup/20260501T080000.000Z". */
  readonly dir: string;
  readonly files: readonly PkiWrite[];
}

/** The record after this run and how it changed. */
export interface IdentityOutcome {
  readonly identity: ClusterIdentity;
  /** new: this run minted the cluster's first CAs; recorded: an older state got its record; updated: --new-ca. */
  readonly status: 'new' | 'recorded' | 'updated' | 'unchanged';
  readonly write?: PkiWrite;
}

/** The guard for this state: its record (a damaged one throws) and the catalogue's signers. */
export function identityGuard(catalogue: PkiCatalogue, state: PkiState, newCa: readonly IdentityName[]): IdentityGuard {
  const identity = state.identityJson === undefined ? undefined : parseIdentity(state.identityJson, `${state.dir}/${IDENTITY_FILE}`);
  const signerOf = new Map(catalogue.profiles.flatMap((p) => (p.signer !== undefined ? [[p.id, p.signer] as const] : [])));
  return { ...(identity ? { identity } : {}), newCa: new Set(newCa), signerOf };
}

const stamp = (now: Date): string => now.toISOString().replace(/[-:]/g, '');

/** Every file a `--new-ca` replaces: the CA (or sa.key/sa.pub), the leaves it signed, and the record. */
export function backupFor(state: PkiState, guard: IdentityGuard, specs: readonly CertSpec[], now: Date): PkiBackup | undefined {
  if (guard.newCa.size === 0) return undefined;
  const files: PkiWrite[] = [];
  const add = (name: string, content: string | undefined): void => void (content !== undefined && files.push({ name, content, secret: true }));
  for (const name of guard.newCa) {
    if (name === 'service-account') {
      add(STATE_FILES.saKey, state.serviceAccount.privatePem);
      add(STATE_FILES.saPub, state.serviceAccount.publicPem);
      continue;
    }
    for (const id of [name, ...storedLeavesOf(name, state, guard, specs)]) {
      add(STATE_FILES.cert(id), state.pairs.get(id)?.certPem);
      add(STATE_FILES.key(id), state.pairs.get(id)?.keyPem);
    }
  }
  add(IDENTITY_FILE, state.identityJson);
  return { dir: `backup/${stamp(now)}`, files };
}

function fingerprintOr(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined; // a damaged file being replaced has no fingerprint to record
  }
}

/** The record after this run: fingerprints of the final bundle, replacements noted with their backup. */
export function nextIdentity(cluster: string, state: PkiState, guard: IdentityGuard, bundle: Pick<PkiBundle, 'certs' | 'serviceAccount'>, now: Date, backup: PkiBackup | undefined): IdentityOutcome {
  const fingerprints: Partial<Record<IdentityName, string>> = {};
  for (const name of IDENTITY_NAMES) {
    const fp = name === 'service-account' ? publicKeyFingerprint(bundle.serviceAccount.publicPem) : bundle.certs.get(name) && certFingerprint(bundle.certs.get(name)!.certPem);
    if (fp) fingerprints[name] = fp;
  }
  const prev = guard.identity;
  const oldFp = (name: IdentityName): string | undefined =>
    prev?.fingerprints[name] ??
    (name === 'service-account'
      ? fingerprintOr(() => publicKeyFingerprint(state.serviceAccount.privatePem ?? state.serviceAccount.publicPem ?? ''))
      : fingerprintOr(() => certFingerprint(state.pairs.get(name)?.certPem ?? '')));
  const at = now.toISOString();
  const replaced: ReplacedEntry[] = [...guard.newCa].flatMap((name) => {
    const old = oldFp(name);
    return old !== undefined && old !== fingerprints[name] ? [{ name, fingerprint: old, at, backup: backup?.dir ?? '' }] : [];
  });
  const identity: ClusterIdentity = prev
    ? { ...prev, fingerprints: { ...prev.fingerprints, ...fingerprints }, replaced: [...prev.replaced, ...replaced] }
    : { cluster, createdAt: at, fingerprints, replaced };
  const content = serializeIdentity(identity);
  if (state.identityJson === content || (prev && serializeIdentity(prev) === content)) return { identity, status: 'unchanged' };
  const hadCa = IDENTITY_NAMES.some((n) => state.pairs.get(n)?.certPem !== undefined);
  const status = prev ? 'updated' : hadCa ? 'recorded' : 'new';
  return { identity, status, write: { name: IDENTITY_FILE, content, secret: false } };
}
