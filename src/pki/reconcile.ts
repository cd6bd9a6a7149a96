/**
 * Existing state + catalogue specs + inventory + clock -> one decision per certificate:
 * keep, issue, renew or blocked, each with its reason. Pure; bad material throws PkiError before
 * anything is written.
 */
import type { Inventory } from '../inventory/types.js';
import { PkiError, StateError } from '../shared/errors.js';
import { caReadError, guardMissingCa, guardPresentCa, NO_GUARD, type IdentityGuard } from './ca-guard.js';
import type { IdentityName } from './identity.js';
import { describeWindow, renewalWindowMs } from './renewal.js';
import { sanDiff } from './sans.js';
import type { CertSpec } from './specs.js';
import { STATE_FILES, type PkiState } from './state-types.js';
import type { PkiDecision } from './types.js';
import { keyMatchesCert, readCert, readKey, signedBy, type CertInfo } from './x509-read.js';

/** Leaves this close to expiry are renewed by `pki generate`. */
export const RENEW_WITHIN_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

/** A spec, its decision, and the parsed existing material (when there is any). */
export interface Reconciled {
  readonly spec: CertSpec;
  readonly decision: PkiDecision;
  readonly existing?: { readonly certPem: string; readonly keyPem?: string; readonly info: CertInfo };
  /** A CA being replaced on request (`--new-ca`): its leaves are re-issued under the new one. */
  readonly replaced?: true;
}

const date = (d: Date): string => d.toISOString().slice(0, 10);
const sameList = (a: readonly string[], b: readonly string[]): boolean => [...a].sort().join('\n') === [...b].sort().join('\n');

/** Parses one stored pair, turning unreadable or mismatched files into PkiError naming the file. */
export function parseStored(state: PkiState, id: string): Reconciled['existing'] | undefined {
  const pair = state.pairs.get(id);
  const certFile = `${state.dir}/${STATE_FILES.cert(id)}`;
  const keyFile = `${state.dir}/${STATE_FILES.key(id)}`;
  if (pair?.certPem === undefined) {
    if (pair?.keyPem !== undefined) {
      throw new StateError(`${keyFile}: private key without its certificate ${STATE_FILES.cert(id)}`, {
        hint: `restore ${certFile} from a backup, or delete ${keyFile} to have a new pair issued; nothing was written`,
      });
    }
    return undefined;
  }
  let info: CertInfo;
  try {
    info = readCert(pair.certPem);
  } catch (err) {
    throw new PkiError(`${certFile}: not a valid PEM certificate (${(err as Error).message})`, {
      hint: `restore it from a backup, or delete ${certFile} and ${keyFile} and run \`kubesmith pki generate\` to issue a new one; nothing was written`,
      cause: err,
    });
  }
  if (pair.keyPem === undefined) return { certPem: pair.certPem, info };
  let key;
  try {
    key = readKey(pair.keyPem);
  } catch (err) {
    throw new PkiError(`${keyFile}: not a valid PEM private key (${(err as Error).message})`, {
      hint: `restore it from a backup, or delete ${certFile} and ${keyFile} to have a new pair issued; nothing was written`,
      cause: err,
    });
  }
  if (!keyMatchesCert(key, info)) {
    throw new PkiError(`${keyFile}: the private key does not match its certificate ${STATE_FILES.cert(id)}`, {
      hint: `restore the matching pair, or delete both files to have a new pair issued; nothing was written`,
    });
  }
  return { certPem: pair.certPem, keyPem: pair.keyPem, info };
}

function caDecision(spec: CertSpec, ex: Reconciled['existing'], inv: Inventory, now: Date, dir: string): PkiDecision {
  if (!ex) return { id: spec.id, action: 'issue', reason: 'not issued yet' };
  const left = ex.info.notAfter.getTime() - now.getTime();
  if (left <= 0) {
    throw new PkiError(`${dir}/${STATE_FILES.cert(spec.id)}: the ${spec.id} CA expired on ${date(ex.info.notAfter)}`, {
      hint: 'kubesmith never renews CAs (neither does kubeadm); rotate it by hand (kubernetes.io "Manual rotation of CA certificates"), or move the state directory away to start a new PKI; nothing was written',
    });
  }
  const notes = [
    ex.keyPem === undefined ? 'key kept offline (keyless mode)' : undefined,
    left < RENEW_WITHIN_DAYS * DAY_MS ? `WARNING: expires within ${RENEW_WITHIN_DAYS} days; CAs are never renewed` : undefined,
    ex.info.algorithm !== inv.pki.keyAlgorithm ? `key is ${ex.info.algorithm} (inventory: ${inv.pki.keyAlgorithm}; CAs are never re-keyed)` : undefined,
  ].filter((n) => n !== undefined);
  return { id: spec.id, action: 'keep', reason: [`valid until ${date(ex.info.notAfter)}`, ...notes].join('; ') };
}

/** Why a valid, CA-signed leaf no longer fits the inventory, or undefined (also used by `pki adopt`). */
export function driftReason(spec: CertSpec, info: CertInfo, inv: Inventory, now: Date, caNotAfter: Date | undefined): string | undefined {
  if (info.commonName !== spec.commonName) return `subject CN is "${info.commonName}", want "${spec.commonName}"`;
  if (!sameList(info.organizations, spec.organizations)) return `subject O is [${info.organizations.join(', ')}], want [${spec.organizations.join(', ')}]`;
  const diff = sanDiff(spec.sans, info.sans);
  if (diff !== '') return `SANs no longer match the inventory (${diff})`;
  if (!sameList(info.usages, spec.usages)) return `usages are [${info.usages.join(', ')}], want [${spec.usages.join(', ')}]`;
  if (info.algorithm !== inv.pki.keyAlgorithm) return `key is ${info.algorithm}, inventory wants ${inv.pki.keyAlgorithm}`;
  const left = info.notAfter.getTime() - now.getTime();
  // Already clamped to its CA: re-issuing cannot extend it, and would repeat on every run.
  if (caNotAfter !== undefined && info.notAfter.getTime() >= caNotAfter.getTime()) return undefined;
  if (left <= 0) return `expired on ${date(info.notAfter)}`;
  // The window follows the lifetime (renewal.ts): a fixed 30 days would renew a 30-day leaf on every run.
  const window = renewalWindowMs(spec.validityDays);
  if (left < window) return `expires within ${describeWindow(window)} (${date(info.notAfter)})`;
  return undefined;
}

function leafDecision(spec: CertSpec, ex: Reconciled['existing'], ca: Reconciled, inv: Inventory, now: Date, dir: string): PkiDecision {
  const d = ((): { action: 'issue' | 'renew' | 'keep'; reason: string } => {
    if (!ex) return { action: 'issue', reason: 'not issued yet' };
    if (ex.keyPem === undefined) return { action: 'renew', reason: 'private key missing' };
    if (ca.decision.action === 'issue') return { action: 'renew', reason: `its CA ${ca.spec.id} is being ${ca.replaced ? 'replaced (--new-ca)' : 'issued'}` };
    const caInfo = ca.existing?.info;
    // A same-name CA that did not sign it was refused by guardPresentCa: never re-signed silently.
    if (caInfo && !signedBy(ex.info, caInfo)) {
      throw new PkiError(`${dir}/${STATE_FILES.cert(spec.id)}: not signed by its CA ${ca.spec.id} (issuer is "${ex.info.x509.issuer.replaceAll('\n', ', ')}")`, {
        hint: `files from another PKI were mixed in; restore the right file, or re-sign it with \`kubesmith pki renew ${spec.id}\`; nothing was written`,
      });
    }
    const drift = driftReason(spec, ex.info, inv, now, caInfo?.notAfter);
    if (drift) return { action: 'renew', reason: drift };
    const withCa = caInfo !== undefined && ex.info.notAfter.getTime() >= caInfo.notAfter.getTime() ? `; ends with its CA ${ca.spec.id}, which must be rotated by hand` : '';
    return { action: 'keep', reason: `valid until ${date(ex.info.notAfter)}${withCa}` };
  })();
  if (d.action !== 'keep' && ca.existing !== undefined && ca.existing.keyPem === undefined && ca.decision.action === 'keep') {
    return { id: spec.id, action: 'blocked', reason: `${d.reason}; needs the ${ca.spec.id} key, which is not in the state dir (keyless mode)` };
  }
  return { id: spec.id, ...d };
}

/** A CA: replaced on request, or read and kept/issued only as ca-guard allows. */
function decideCa(spec: CertSpec, specs: readonly CertSpec[], state: PkiState, inv: Inventory, now: Date, guard: IdentityGuard): Reconciled {
  if (guard.newCa.has(spec.id as IdentityName)) {
    return { spec, replaced: true, decision: { id: spec.id, action: 'issue', reason: state.pairs.has(spec.id) ? 'replaced on request (--new-ca); the old one is backed up' : 'issued on request (--new-ca)' } };
  }
  guardMissingCa(spec, state, guard, specs);
  let existing: Reconciled['existing'];
  try {
    existing = parseStored(state, spec.id);
  } catch (err) {
    throw caReadError(spec, state, err as Error);
  }
  if (existing) guardPresentCa(spec, existing.info, existing.certPem, state, guard, specs);
  return { spec, decision: caDecision(spec, existing, inv, now, state.dir), ...(existing ? { existing } : {}) };
}

/**
 * Decides every spec (CAs first, as certSpecs orders them). Throws PkiError/StateError on bad
 * material, and on a CA that may not be minted or kept (ca-guard.ts).
 */
export function reconcile(specs: readonly CertSpec[], state: PkiState, inv: Inventory, now: Date, guard: IdentityGuard = NO_GUARD): readonly Reconciled[] {
  const out = new Map<string, Reconciled>();
  for (const spec of specs) {
    if (spec.kind === 'keypair') continue; // the service-account key pair is handled by ensure.ts
    if (spec.kind === 'ca') {
      out.set(spec.id, decideCa(spec, specs, state, inv, now, guard));
      continue;
    }
    const existing = parseStored(state, spec.id);
    const ex = existing ? { existing } : {};
    const ca = out.get(spec.signer ?? '');
    if (!ca) throw new PkiError(`${spec.id}: signer "${spec.signer}" was not decided before its leaf (catalogue order bug)`);
    out.set(spec.id, { spec, decision: leafDecision(spec, existing, ca, inv, now, state.dir), ...ex });
  }
  return [...out.values()];
}
