/**
 * The certificates on the hosts, for `kubesmith status`: `pki check --remote`'s rows
 * (src/pki/remote/) from the hosts status already holds an SSH connection to (the etcd members),
 * summarised: how many deployed places hold the state's certificate, and every place that does not,
 * serves another certificate than its file, or expires within the warning window. Pure.
 */
import { shortDuration } from '../pki/check-duration.js';
import { needsAttention } from '../pki/remote/compare.js';
import type { RemoteCertRow } from '../pki/remote/types.js';
import type { RemoteCertSection } from './types.js';

const DAY_MS = 86_400_000;
/** Statuses that compare a place with the state. */
const COMPARED = new Set(['in sync', 'differs from state', 'served != on disk', 'not deployed', 'unreadable']);

/** Summarises the rows of `checked` hosts out of `total`; unreachable hosts are left to the etcd section. */
export function remoteCertSection(rows: readonly RemoteCertRow[], checked: readonly string[], total: number, warnDays: number): RemoteCertSection {
  const places = rows.filter((r) => COMPARED.has(r.status));
  return {
    hosts: checked,
    totalHosts: total,
    places: places.length,
    inSync: places.filter((r) => r.status === 'in sync').length,
    attention: rows
      .filter((r) => r.status !== 'unreachable' && needsAttention(r, warnDays * DAY_MS))
      .map((r) => ({
        host: r.host,
        certificate: r.certificate,
        location: r.location,
        status: r.status,
        ...(r.expires ? { expires: r.expires.toISOString() } : {}),
        residual: r.residualMs === undefined ? '-' : shortDuration(r.residualMs),
        expired: r.residualMs !== undefined && r.residualMs <= 0,
      })),
  };
}
