/**
 * The certificate section: `pki check`'s rows (src/pki/check.ts, computed from the local PKI state)
 * summarised: the soonest expiry, and every certificate that is expired, expiring within the
 * warning window, missing, or not signed by its CA.
 */
import { shortDuration, type CheckRow } from '../pki/check.js';
import type { CertRow, CertSection } from './types.js';

/** kubeadm warns 30 days ahead too (its certs check-expiration highlights < 30d). */
export const CERT_WARN_DAYS = 30;

/** Classifies each row and picks the soonest leaf or CA to expire. */
export function certSection(rows: readonly CheckRow[], warnDays: number = CERT_WARN_DAYS): CertSection {
  const warnMs = warnDays * 86_400_000;
  const out: CertRow[] = rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    ...(r.expires ? { expires: r.expires.toISOString() } : {}),
    residual: r.residualMs === undefined ? '-' : shortDuration(r.residualMs),
    status: r.status === 'ok' && r.residualMs !== undefined && r.residualMs < warnMs ? 'expiring' : r.status, // the key pair never expires
  }));
  const dated = rows.filter((r) => r.expires !== undefined && r.status !== 'expired');
  const first = [...dated].sort((a, b) => (a.residualMs ?? 0) - (b.residualMs ?? 0))[0];
  return {
    total: out.length,
    ok: out.filter((r) => r.status === 'ok').length,
    warnDays,
    ...(first?.expires ? { soonest: { id: first.id, expires: first.expires.toISOString(), residual: shortDuration(first.residualMs ?? 0) } } : {}),
    attention: out.filter((r) => r.status !== 'ok'),
  };
}
