/**
 * The text of `pki adopt`'s report: CAs, certificates, the service-account key, files not used,
 * notes and problems, and a one-line summary. File names and fingerprints only: no key material
 * ever reaches this text.
 */
import type { AdoptReport, AdoptRow } from '../../pki/adopt-types.js';

function rows(title: string, list: readonly AdoptRow[]): string[] {
  if (list.length === 0) return [];
  const aw = Math.max(...list.map((r) => r.action.length));
  const iw = Math.max(...list.map((r) => r.id.length));
  const pad = ' '.repeat(2 + aw + 2 + iw + 2);
  return [
    title,
    ...list.flatMap((r) => [`  ${r.action.padEnd(aw)}  ${r.id.padEnd(iw)}  ${r.reason}`, ...(r.from ? [`${pad}from ${r.from}`] : [])]),
    '',
  ];
}

const count = (list: readonly AdoptRow[], action: AdoptRow['action']): number => list.filter((r) => r.action === action).length;

/** One line: how many CAs were adopted and how many certificates are kept, re-issued or missing. */
export function adoptSummary(r: AdoptReport): string {
  const c = r.certificates;
  return (
    `${r.cas.length} CAs: ${count(r.cas, 'adopt')} adopted with their key, ${count(r.cas, 'adopt-keyless')} keyless, ${count(r.cas, 'missing')} missing; ` +
    `${c.length} certificates: ${count(c, 'keep')} keep, ${count(c, 're-issue')} re-issue, ${count(c, 'missing')} missing; ` +
    `service-account key: ${r.serviceAccount.action}`
  );
}

/** The whole report as text. */
export function formatAdoptReport(r: AdoptReport): string {
  const ignoredWidth = Math.max(0, ...r.ignored.map((i) => i.path.length));
  return [
    ...rows('CAs', r.cas),
    ...rows('Certificates (keep: adopted as they are; re-issue: `pki generate` issues them again with the adopted CA)', r.certificates),
    ...rows('Service-account key', [r.serviceAccount]),
    ...(r.ignored.length > 0 ? [`Not used (${r.ignored.length})`, ...r.ignored.map((i) => `  ${i.path.padEnd(ignoredWidth)}  ${i.reason}`), ''] : []),
    ...(r.notes.length > 0 ? ['Notes', ...r.notes.map((n) => `  - ${n}`), ''] : []),
    ...(r.problems.length > 0 ? [`Problems (${r.problems.length}; --write refuses until they are fixed)`, ...r.problems.map((p) => `  - ${p}`), ''] : []),
    adoptSummary(r),
  ].join('\n');
}
