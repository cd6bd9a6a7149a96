/**
 * `pki check`: the expiry report of `kubeadm certs check-expiration` (pki-spec.md §4), computed from
 * the state dir. Pure: state + catalogue + inventory + clock in, rows out.
 *
 * Every row gets its own status and never throws: one unreadable file must not hide the rest of
 * the report (an operator runs this exactly when something is wrong). A missing or mismatched key
 * is as broken as a missing certificate: the component that loads the pair would not start.
 */
import type { Inventory } from '../inventory/types.js';
import type { PkiCatalogue } from './profile-types.js';
import { renewalWindowMs } from './renewal.js';
import { certSpecs, type CertSpec } from './specs.js';
import { STATE_FILES, type PkiState } from './state-types.js';
import { keyMatchesCert, keyMatchesPublic, readCert, readKey, signedBy, type CertInfo } from './x509-read.js';

export { parseDuration, shortDuration } from './check-duration.js';

/** What is wrong with a row, from least to most urgent; 'renew due' and 'expires soon' are not broken. */
export type CheckStatus =
  | 'ok'
  | 'renew due'
  | 'expires soon'
  | 'expired'
  | 'missing'
  | 'unreadable'
  | 'key missing'
  | 'key unreadable'
  | 'key mismatch'
  | 'not signed by its CA'
  | 'CA unusable';

/** Statuses that mean the material cannot be used as it is: `pki check` exits 1 on any of them. */
export const BROKEN_STATUSES: ReadonlySet<CheckStatus> = new Set<CheckStatus>(['expired', 'missing', 'unreadable', 'key missing', 'key unreadable', 'key mismatch', 'not signed by its CA', 'CA unusable']);

/** One line of the report. */
export interface CheckRow {
  readonly id: string;
  readonly kind: 'ca' | 'leaf' | 'keypair';
  /** Undefined when the certificate has not been issued or cannot be read (and for the key pair). */
  readonly expires?: Date;
  readonly residualMs?: number;
  /** The renewal window of this certificate (renewal.ts): `pki generate` renews a leaf inside it. */
  readonly renewWithinMs?: number;
  /** The signing CA's id ("" for CAs and the key pair). */
  readonly signedBy: string;
  readonly algorithm: string;
  /** kubeadm's meaning: the signing CA's key is not available (keyless mode), so kubesmith cannot renew it. */
  readonly externallyManaged: boolean;
  readonly status: CheckStatus;
  /** For a status other than ok: the file and what to do. */
  readonly problem?: string;
}

/** Files the loader could not read at all (permission denied, a directory), by file name. */
export type ReadFailures = ReadonlyMap<string, string>;

interface Parsed {
  readonly info?: CertInfo;
  readonly status?: CheckStatus;
  readonly problem?: string;
  readonly hasKey: boolean;
}

/** Reads one stored pair without throwing: the parsed certificate, or the status saying what is wrong. */
function inspectPair(state: PkiState, id: string, fails: ReadFailures, isCa: boolean): Parsed {
  const certName = STATE_FILES.cert(id);
  const keyName = STATE_FILES.key(id);
  const path = (n: string): string => `${state.dir}/${n}`;
  const pair = state.pairs.get(id);
  const keyFail = fails.get(keyName);
  const hasKey = pair?.keyPem !== undefined || keyFail !== undefined;
  const certFail = fails.get(certName);
  if (certFail !== undefined) return { hasKey, status: 'unreadable', problem: `${path(certName)}: cannot be read (${certFail})` };
  if (pair?.certPem === undefined) {
    const orphan = hasKey ? ` (${keyName} is there without its certificate)` : '';
    // A missing CA is never re-minted by generate once it signed anything (ca-guard): say how to restore it.
    const fix = isCa ? 'restore it from a backup or from a host, or replace it on purpose with `kubesmith pki generate --new-ca ' + id + '`' : 'run `kubesmith pki generate`';
    return { hasKey, status: 'missing', problem: `${path(certName)} does not exist${orphan}; ${fix}` };
  }
  let info: CertInfo;
  try {
    info = readCert(pair.certPem);
  } catch (err) {
    return { hasKey, status: 'unreadable', problem: `${path(certName)}: not a valid PEM certificate (${(err as Error).message}); restore it from a backup` };
  }
  if (keyFail !== undefined) return { info, hasKey, status: 'key unreadable', problem: `${path(keyName)}: cannot be read (${keyFail})` };
  if (pair.keyPem === undefined) {
    // A CA without its key is keyless mode (documented, pki/README.md); a leaf without its key is broken.
    if (isCa) return { info, hasKey: false };
    return { info, hasKey, status: 'key missing', problem: `${path(keyName)} does not exist; restore it, or run \`kubesmith pki renew ${id}\` for a new pair` };
  }
  try {
    if (!keyMatchesCert(readKey(pair.keyPem), info)) {
      return { info, hasKey, status: 'key mismatch', problem: `${path(keyName)} is not the key of ${certName}; restore the matching pair from a backup` };
    }
  } catch (err) {
    return { info, hasKey, status: 'key unreadable', problem: `${path(keyName)}: not a valid PEM private key (${(err as Error).message})` };
  }
  return { info, hasKey };
}

/** Status of a readable certificate: signature, expiry, renewal window. */
function timeStatus(spec: CertSpec, info: CertInfo, ca: Parsed | undefined, now: Date, dir: string): { status: CheckStatus; problem?: string } {
  const file = `${dir}/${STATE_FILES.cert(spec.id)}`;
  if (spec.kind === 'leaf') {
    if (ca?.info === undefined) return { status: 'CA unusable', problem: `${file}: cannot be verified, its CA ${spec.signer} is ${ca?.status ?? 'missing'}` };
    if (!signedBy(info, ca.info)) return { status: 'not signed by its CA', problem: `${file}: not signed by the ${spec.signer} in the state dir` };
  }
  const left = info.notAfter.getTime() - now.getTime();
  if (left <= 0) return { status: 'expired', problem: `${file}: expired on ${info.notAfter.toISOString()}` };
  if (left >= renewalWindowMs(spec.validityDays)) return { status: 'ok' };
  if (spec.kind === 'ca') return { status: 'expires soon', problem: `${file}: the CA expires on ${info.notAfter.toISOString()}; CAs are never renewed, rotate it by hand` };
  // Clamped to its CA: renewing cannot extend it, `pki generate` keeps it; the CA row says why.
  if (ca?.info !== undefined && info.notAfter.getTime() >= ca.info.notAfter.getTime()) return { status: 'ok' };
  return { status: 'renew due', problem: `${file}: inside its renewal window; \`kubesmith pki generate\` (or apply) renews it` };
}

/** The service-account key pair: never expires, but a missing or mismatched sa.key kills every token. */
function keypairRow(state: PkiState, fails: ReadFailures): CheckRow {
  const base = { id: 'service-account', kind: 'keypair' as const, signedBy: '', externallyManaged: false };
  const { privatePem, publicPem } = state.serviceAccount;
  const at = (n: string): string => `${state.dir}/${n}`;
  const fail = fails.get(STATE_FILES.saKey) ?? fails.get(STATE_FILES.saPub);
  if (fail !== undefined) return { ...base, algorithm: '', status: 'unreadable', problem: `${at(fails.has(STATE_FILES.saKey) ? STATE_FILES.saKey : STATE_FILES.saPub)}: cannot be read (${fail})` };
  if (privatePem === undefined) {
    return publicPem === undefined
      ? { ...base, algorithm: '', status: 'missing', problem: `${at(STATE_FILES.saKey)} does not exist; run \`kubesmith pki generate\`` }
      : { ...base, algorithm: '', status: 'key missing', problem: `${at(STATE_FILES.saKey)} does not exist but sa.pub does; restore sa.key (a new one invalidates every ServiceAccount token)` };
  }
  try {
    const key = readKey(privatePem);
    const algorithm = key.asymmetricKeyType === 'ec' ? `ecdsa-${key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'p384' : 'p256'}` : `rsa-${key.asymmetricKeyDetails?.modulusLength ?? 0}`;
    if (publicPem !== undefined && !keyMatchesPublic(key, publicPem)) return { ...base, algorithm, status: 'key mismatch', problem: `${at(STATE_FILES.saPub)} does not match sa.key` };
    return { ...base, algorithm, status: 'ok' };
  } catch (err) {
    return { ...base, algorithm: '', status: 'key unreadable', problem: `${at(STATE_FILES.saKey)}: not a valid PEM private key (${(err as Error).message})` };
  }
}

/** Every certificate of the inventory, CAs first, then the service-account key pair. Never throws on bad files. */
export function checkPki(catalogue: PkiCatalogue, inv: Inventory, state: PkiState, now: Date, fails: ReadFailures = new Map()): readonly CheckRow[] {
  const parsed = new Map<string, Parsed>();
  const rows: CheckRow[] = [];
  for (const spec of certSpecs(catalogue, inv)) {
    if (spec.kind === 'keypair') continue;
    const isCa = spec.kind === 'ca';
    const p = inspectPair(state, spec.id, fails, isCa);
    parsed.set(spec.id, p);
    const caId = isCa ? spec.id : (spec.signer ?? '');
    const ca = parsed.get(caId);
    const base = { id: spec.id, kind: isCa ? ('ca' as const) : ('leaf' as const), signedBy: isCa ? '' : caId, externallyManaged: ca?.info !== undefined && !ca.hasKey };
    const renewWithinMs = renewalWindowMs(spec.validityDays);
    if (p.info === undefined) {
      rows.push({ ...base, algorithm: '', renewWithinMs, status: p.status ?? 'missing', ...(p.problem ? { problem: p.problem } : {}) });
      continue;
    }
    const t = p.status !== undefined ? { status: p.status, problem: p.problem } : timeStatus(spec, p.info, ca, now, state.dir);
    rows.push({
      ...base,
      expires: p.info.notAfter,
      residualMs: p.info.notAfter.getTime() - now.getTime(),
      renewWithinMs,
      algorithm: p.info.algorithm,
      status: t.status,
      ...(t.problem !== undefined ? { problem: t.problem } : {}),
    });
  }
  rows.push(keypairRow(state, fails));
  return rows;
}
