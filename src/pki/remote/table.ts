/**
 * The human report of `pki check --remote`: one table per cluster, laid out like `kubeadm certs
 * check-expiration` (EXPIRES as "Jan 02, 2006 15:04 UTC", RESIDUAL TIME as "364d"), one row per
 * (host, certificate, place), then one line per row that needs attention saying why. Pure.
 */
import { shortDuration } from '../check-duration.js';
import { needsAttention } from './compare.js';
import { PROBLEM_STATUSES, type RemoteCertRow } from './types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** kubeadm's "Jan 02, 2006 15:04 UTC". */
export function kubeadmTime(d: Date): string {
  return `${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())}, ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/** A fixed-width table, three spaces between columns, no trailing blanks. */
function layout(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('   ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** What the report says about the run as a whole. */
export interface ReportHeader {
  readonly cluster: string;
  readonly now: Date;
  readonly hosts: number;
  readonly unreachable: number;
  /** --warn-within in milliseconds; undefined: each certificate's renewal window. */
  readonly warnMs?: number;
  /** The text the operator gave (for the message), e.g. "30d". */
  readonly warnText?: string;
}

function residual(r: RemoteCertRow, warnMs: number | undefined): string {
  if (r.residualMs === undefined) return '-';
  const soon = r.residualMs > 0 && r.residualMs < (warnMs ?? r.renewWithinMs ?? 0);
  return `${shortDuration(r.residualMs)}${soon ? (warnMs === undefined ? ' (renew due)' : ' (warning)') : ''}`;
}

/** The table and the attention lines. Ends with a newline. */
export function formatRemoteReport(rows: readonly RemoteCertRow[], h: ReportHeader): string {
  const reachable = h.hosts - h.unreachable;
  const out = [`CLUSTER ${h.cluster}: ${h.hosts} host${h.hosts === 1 ? '' : 's'} checked over SSH, ${reachable} answered, at ${kubeadmTime(h.now)}`, ''];
  out.push(
    ...layout(
      ['HOST', 'CERTIFICATE', 'WHERE', 'EXPIRES', 'RESIDUAL TIME', 'SIGNED BY', 'STATUS'],
      rows.map((r) => [r.host, r.certificate, r.location, r.expires ? kubeadmTime(r.expires) : '-', residual(r, h.warnMs), r.signer ?? '-', r.status]),
    ),
  );
  const flagged = rows.filter((r) => needsAttention(r, h.warnMs));
  if (flagged.length > 0) {
    const window = h.warnText === undefined ? 'inside its renewal window' : `expires within ${h.warnText}`;
    out.push('', `${flagged.length} need${flagged.length === 1 ? 's' : ''} attention:`);
    for (const r of flagged) {
      const time = r.residualMs === undefined || r.residualMs >= (h.warnMs ?? r.renewWithinMs ?? 0) ? undefined : r.residualMs <= 0 ? 'expired' : window;
      const why = [PROBLEM_STATUSES.has(r.status) ? r.status : undefined, time].filter((x) => x !== undefined).join(', ');
      out.push(`  ${r.host} ${r.certificate} ${r.location}: ${why}${r.detail ? ` (${r.detail})` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
