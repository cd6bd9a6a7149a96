/**
 * The rule that outranks every other PKI decision: a CA or the service-account key is only minted
 * when nothing depends on it yet. A missing, damaged or foreign CA (or sa.key) in a state directory
 * that already signed certificates, or was deployed, or records a different identity, is refused
 * with the facts and the explicit way out (`pki generate --new-ca NAME`, which backs up first).
 * Minting silently would re-sign every leaf and cut the hosts off the cluster. Pure.
 */
import { PkiError, StateError } from '../shared/errors.js';
import { certFingerprint, publicKeyFingerprint, type ClusterIdentity, type IdentityName } from './identity.js';
import type { CertSpec } from './specs.js';
import { STATE_FILES, type PkiState } from './state-types.js';
import { readCert, signedBy, type CertInfo } from './x509-read.js';

/** What the guard knows beyond the state files. */
export interface IdentityGuard {
  readonly identity?: ClusterIdentity;
  /** Names the operator asked to replace (`--new-ca`). */
  readonly newCa: ReadonlySet<IdentityName>;
  /** Catalogue profile id -> its signer, to count stored leaves the inventory no longer lists. */
  readonly signerOf: ReadonlyMap<string, string>;
}

/** No identity record, nothing asked: the guard for code paths (and tests) that predate it. */
export const NO_GUARD: IdentityGuard = { newCa: new Set(), signerOf: new Map() };

const list = (ids: readonly string[]): string => (ids.length <= 6 ? ids.join(', ') : `${ids.slice(0, 6).join(', ')} and ${ids.length - 6} more`);

function refusal(kind: typeof PkiError | typeof StateError, message: string, facts: readonly string[], restore: string, name: IdentityName, dir: string): Error {
  return new kind(message, {
    detail: facts,
    hint: `${restore}. To replace it on purpose: \`kubesmith pki generate -i FILE --new-ca ${name}\` backs up what it replaces to ${dir}/backup/<UTC time>/, then issues a new ${name} and re-issues everything it signed (the next apply installs them; a deployed cluster restarts on them); nothing was written`,
  });
}

/** What says this state already has a cluster built on `name`. */
function evidence(name: IdentityName, leaves: readonly string[], guard: IdentityGuard): string[] {
  const id = guard.identity;
  return [
    ...(leaves.length > 0 ? [`${leaves.length} certificate${leaves.length === 1 ? '' : 's'} in the state ${leaves.length === 1 ? 'was' : 'were'} signed by it: ${list(leaves)}`] : []),
    ...(id?.fingerprints[name] ? [`cluster.json (created ${id.createdAt}) records it: ${id.fingerprints[name]}`] : []),
    ...(id?.deployedAt ? [`this state was deployed to hosts on ${id.deployedAt}`] : []),
  ];
}

/** Stored leaves whose catalogue signer is `caId`, including ones the inventory no longer lists. */
export function storedLeavesOf(caId: string, state: PkiState, guard: IdentityGuard, specs: readonly CertSpec[]): string[] {
  const signer = (id: string): string | undefined => specs.find((s) => s.id === id)?.signer ?? guard.signerOf.get(id.split('@')[0] ?? '');
  return [...state.pairs].filter(([id, p]) => p.certPem !== undefined && signer(id) === caId).map(([id]) => id).sort();
}

/** Before a CA's files are read: refuses a missing certificate when anything depends on the CA. */
export function guardMissingCa(spec: CertSpec, state: PkiState, guard: IdentityGuard, specs: readonly CertSpec[]): void {
  const name = spec.id as IdentityName;
  const pair = state.pairs.get(spec.id);
  if (pair?.certPem !== undefined) return;
  const certFile = `${state.dir}/${STATE_FILES.cert(spec.id)}`;
  const facts = evidence(name, storedLeavesOf(spec.id, state, guard, specs), guard);
  if (pair?.keyPem !== undefined) {
    throw refusal(StateError, `${certFile}: missing, but its CA key ${STATE_FILES.key(spec.id)} is there`, facts, `restore ${certFile} from a backup or from a host (the catalogue installs it, e.g. /opt/kubernetes/ssl/ca.pem for kubernetes-ca)`, name, state.dir);
  }
  if (facts.length === 0) return;
  throw refusal(PkiError, `${certFile}: the ${spec.id} certificate and key are missing; kubesmith will not mint a new ${spec.id} for a cluster that already has one`, facts, `restore ${STATE_FILES.cert(spec.id)} and ${STATE_FILES.key(spec.id)} (0600) from a backup into ${state.dir}`, name, state.dir);
}

/** A CA whose files cannot be read: the same refusal, with CA-appropriate advice (never "delete it"). */
export function caReadError(spec: CertSpec, state: PkiState, err: Error): Error {
  return refusal(PkiError, err.message, [], `restore ${STATE_FILES.cert(spec.id)} and ${STATE_FILES.key(spec.id)} from a backup into ${state.dir}`, spec.id as IdentityName, state.dir);
}

/** After a CA was read: refuses a non-CA certificate, one the record does not know, and a foreign one. */
export function guardPresentCa(spec: CertSpec, info: CertInfo, certPem: string, state: PkiState, guard: IdentityGuard, specs: readonly CertSpec[]): void {
  const name = spec.id as IdentityName;
  const certFile = `${state.dir}/${STATE_FILES.cert(spec.id)}`;
  const restore = `restore this cluster's ${STATE_FILES.cert(spec.id)} and ${STATE_FILES.key(spec.id)} from a backup into ${state.dir}`;
  if (!info.isCa) throw refusal(PkiError, `${certFile}: not a CA certificate (no basicConstraints CA:TRUE), so it cannot sign`, [], restore, name, state.dir);
  const fp = certFingerprint(certPem);
  const recorded = guard.identity?.fingerprints[name];
  if (recorded !== undefined && recorded !== fp) {
    throw refusal(PkiError, `${certFile}: this is not the ${spec.id} this state was created with (it was replaced by another CA)`, [`in the state now:     ${fp}`, `recorded in cluster.json: ${recorded}`, ...evidence(name, [], guard).slice(1)], restore, name, state.dir);
  }
  const foreign = specs
    .filter((s) => s.signer === spec.id)
    .flatMap((s) => {
      const pem = state.pairs.get(s.id)?.certPem;
      if (pem === undefined) return [];
      try {
        const leaf = readCert(pem);
        return leaf.x509.issuer === info.x509.subject && !signedBy(leaf, info) ? [s.id] : [];
      } catch {
        return []; // unreadable leaves are reported by reconcile with their own message
      }
    });
  if (foreign.length > 0) {
    throw refusal(PkiError, `${certFile}: this ${spec.id} did not sign ${foreign.length} of the certificates in the state (it was replaced by another CA of the same name)`, [`not signed by it: ${list(foreign)}`, `its fingerprint: ${fp}`, ...evidence(name, [], guard)], restore, name, state.dir);
  }
}

/** The service-account key: "replace" with --new-ca, "keep-or-issue" when minting is safe; refuses otherwise. */
export function guardServiceAccount(state: PkiState, guard: IdentityGuard): 'replace' | 'check' {
  const name: IdentityName = 'service-account';
  if (guard.newCa.has(name)) return 'replace';
  const { privatePem, publicPem } = state.serviceAccount;
  const keyFile = `${state.dir}/${STATE_FILES.saKey}`;
  const restore = `restore ${STATE_FILES.saKey} (0600) from a backup or from a control-plane host (/opt/kubernetes/ssl/sa.key) into ${state.dir}`;
  const recorded = guard.identity?.fingerprints[name];
  if (privatePem === undefined) {
    const facts = [
      ...(publicPem !== undefined ? [`${STATE_FILES.saPub} is still there: ServiceAccount tokens were signed with its private half`] : []),
      ...(state.pairs.get('apiserver')?.certPem !== undefined ? ['the state holds an issued apiserver certificate: the cluster already signs tokens with this key'] : []),
      ...evidence(name, [], guard),
    ];
    if (facts.length === 0) return 'check';
    throw refusal(PkiError, `${keyFile}: missing; a new service-account key would invalidate every ServiceAccount token of the cluster`, facts, restore, name, state.dir);
  }
  let fp: string;
  try {
    fp = publicKeyFingerprint(privatePem);
  } catch {
    return 'check'; // ensure.ts reports an unreadable sa.key with its own message
  }
  if (recorded !== undefined && recorded !== fp) {
    throw refusal(PkiError, `${keyFile}: not the service-account key this state was created with`, [`in the state now:     ${fp}`, `recorded in cluster.json: ${recorded}`], restore, name, state.dir);
  }
  return 'check';
}
