/**
 * `pki check`: the expiry report of `kubeadm certs check-expiration` (pki-spec.md §4), computed from
 * the state dir. Pure: state + catalogue + inventory + clock in, rows out.
 */
import type { Inventory } from '../inventory/types.js';
import type { PkiCatalogue } from './profile-types.js';
import { parseStored } from './reconcile.js';
import { certSpecs } from './specs.js';
import type { PkiState } from './state-types.js';
import { signedBy } from './x509-read.js';

/** One line of the report. */
export interface CheckRow {
  readonly id: string;
  readonly kind: 'ca' | 'leaf';
  /** Undefined when the certificate has not been issued. */
  readonly expires?: Date;
  readonly residualMs?: number;
  /** The signing CA's id ("" for CAs). */
  readonly signedBy: string;
  readonly algorithm: string;
  /** kubeadm's meaning: the signing CA's key is not available (keyless mode), so kubesmith cannot renew it. */
  readonly externallyManaged: boolean;
  readonly status: 'ok' | 'missing' | 'expired' | 'not signed by its CA';
}

/** Every certificate of the inventory, CAs first. Unreadable files throw PkiError naming the file. */
export function checkPki(catalogue: PkiCatalogue, inv: Inventory, state: PkiState, now: Date): readonly CheckRow[] {
  const parsed = new Map<string, ReturnType<typeof parseStored>>();
  const rows: CheckRow[] = [];
  for (const spec of certSpecs(catalogue, inv)) {
    if (spec.kind === 'keypair') continue;
    const ex = parseStored(state, spec.id);
    parsed.set(spec.id, ex);
    const caId = spec.kind === 'ca' ? spec.id : (spec.signer ?? '');
    const ca = parsed.get(caId);
    const base = { id: spec.id, kind: spec.kind === 'ca' ? ('ca' as const) : ('leaf' as const), signedBy: spec.kind === 'ca' ? '' : caId };
    const externallyManaged = ca !== undefined && ca.keyPem === undefined;
    if (!ex) {
      rows.push({ ...base, algorithm: '', externallyManaged, status: 'missing' });
      continue;
    }
    const residualMs = ex.info.notAfter.getTime() - now.getTime();
    const bad = spec.kind === 'leaf' && ca !== undefined && !signedBy(ex.info, ca.info);
    rows.push({
      ...base,
      expires: ex.info.notAfter,
      residualMs,
      algorithm: ex.info.algorithm,
      externallyManaged,
      status: bad ? 'not signed by its CA' : residualMs <= 0 ? 'expired' : 'ok',
    });
  }
  return rows;
}

/** kubeadm's short duration ("364d", "9y", "23h"); "expired" when past. */
export function shortDuration(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  return `${Math.floor(h / (24 * 365))}y`;
}

/** Parses "30d", "12h", "90m", "45s" (or a sum like "1d12h") into milliseconds; undefined when invalid. */
export function parseDuration(text: string): number | undefined {
  const unit: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  if (!/^(\d+[dhms])+$/.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)([dhms])/g)) ms += Number(m[1]) * (unit[m[2] as string] ?? 0);
  return ms;
}
