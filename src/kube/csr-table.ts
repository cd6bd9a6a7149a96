/**
 * The `kubectl get csr` view (NAME, AGE, SIGNERNAME, REQUESTOR, REQUESTEDDURATION, CONDITION) plus
 * kubesmith's DECISION and REASON. Pure formatting.
 */
import type { CsrDecision } from '../pki/csr.js';
import type { CertificateSigningRequest } from './types.js';

/** One CSR as shown to the operator (and in --json). */
export interface CsrRow {
  readonly name: string;
  readonly age: string;
  readonly signerName: string;
  readonly requestor: string;
  readonly requestedDuration: string;
  /** "Pending", "Approved", "Approved,Issued", "Denied"... after kubesmith's action. */
  readonly condition: string;
  readonly decision: CsrDecision['decision'];
  readonly kind: CsrDecision['kind'];
  readonly node?: string;
  readonly reason: string;
  /** What this run did: approved, denied, or nothing. */
  readonly action?: 'approved' | 'denied' | 'conflict';
}

/** kubectl's duration.HumanDuration (k8s.io/apimachinery/pkg/util/duration), to match `kubectl get csr`. */
export function humanDuration(seconds: number): string {
  const s = Math.trunc(seconds); // Go: int(d.Seconds())
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

/** The CONDITION column: condition types joined, ",Issued" once a certificate is there, else Pending. */
export function conditionText(csr: CertificateSigningRequest, added?: 'Approved' | 'Denied'): string {
  const types = (csr.status?.conditions ?? []).map((c) => c.type);
  if (added) types.push(added);
  if (csr.status?.certificate) types.push('Issued');
  return types.length > 0 ? types.join(',') : 'Pending';
}

/** Builds a row from the wire object, the decision and what was done. */
export function csrRow(csr: CertificateSigningRequest, d: CsrDecision, now: Date, action?: CsrRow['action']): CsrRow {
  const created = Date.parse(csr.metadata.creationTimestamp ?? '');
  const exp = csr.spec.expirationSeconds;
  const added = action === 'approved' ? 'Approved' : action === 'denied' ? 'Denied' : undefined;
  return {
    name: csr.metadata.name,
    age: Number.isNaN(created) ? '<unknown>' : humanDuration((now.getTime() - created) / 1000),
    signerName: csr.spec.signerName,
    requestor: csr.spec.username ?? '',
    requestedDuration: exp === undefined ? '<none>' : humanDuration(exp),
    condition: conditionText(csr, added),
    decision: d.decision,
    kind: d.kind,
    ...(d.node === undefined ? {} : { node: d.node }),
    reason: d.reason,
    ...(action === undefined ? {} : { action }),
  };
}

const HEADERS = ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION', 'DECISION', 'REASON'] as const;

/** Left-aligned columns separated by three spaces, like kubectl's tabwriter output. */
export function formatColumns(headers: readonly string[], cells: ReadonlyArray<readonly string[]>): string {
  const all = [headers, ...cells];
  const widths = headers.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  return `${all.map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('   ')).join('\n')}\n`;
}

/** The `kubectl get csr` table plus DECISION (or what was done) and REASON. */
export function formatCsrTable(rows: readonly CsrRow[]): string {
  if (rows.length === 0) return 'No resources found\n';
  return formatColumns(
    HEADERS,
    rows.map((r) => [r.name, r.age, r.signerName, r.requestor, r.requestedDuration, r.condition, r.action ?? r.decision, r.reason]),
  );
}
