/** `kubesmith plan` as text: phases, certificate decisions, files per host, notices. Pure. */
import { describeOrphans } from '../pki/orphans.js';
import type { PlanFileView, PlanView } from './plan-view.js';

/** "1.2K", "640B": short sizes for tables. */
export function shortSize(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}K`;
  return `${(n / 1024 / 1024).toFixed(1)}M`;
}

const counts = (files: readonly PlanFileView[]): string =>
  (['new', 'changed', 'unchanged'] as const)
    .map((s) => [s, files.filter((f) => f.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');

/** The plan as terminal text. `color` wraps statuses in ANSI colours. */
export function describePlan(v: PlanView, opts: { color: boolean; inventoryFile?: string } = { color: false }): string {
  const inventoryFile = opts.inventoryFile ?? 'inventory.yaml';
  const paint = (s: string, code: number): string => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const status = (s: PlanFileView['status']): string => paint(s.padEnd(9), s === 'new' ? 32 : s === 'changed' ? 33 : 2);
  const c = v.cluster;
  const lines: string[] = [
    `Plan for cluster ${c.name}: Kubernetes ${c.kubernetesVersion}, etcd ${c.etcdVersion}, ${v.hosts.length} hosts, API ha ${c.apiHa}`,
    '',
    'Phases (kubesmith apply runs them in this order):',
    ...v.phases.map((p) => `  ${p.id.padEnd(14)} ${p.title.padEnd(24)} ${String(p.hosts).padStart(4)} host(s)${p.files ? `, ${p.files} file(s)` : ''}`),
    `  cluster objects applied through the API: ${v.clusterManifests.map((m) => m.id).join(', ')}`,
    '',
    'Restarts of running services whose inputs changed (a first installation starts them all at once):',
    ...v.restarts.map((r) => `  ${r}`),
    '',
    'Certificates:',
  ];
  const w = Math.max(0, ...v.certificates.map((d) => d.id.length));
  lines.push(...(v.certificates.length ? v.certificates.map((d) => `  ${d.action.padEnd(7)} ${d.id.padEnd(w)}  ${d.reason}`) : ['  (none)']));
  lines.push('', v.comparedWith === 'last-render' ? 'Files, compared with the last render:' : 'Files (no previous render: all new):');
  for (const h of v.hosts) {
    lines.push('', `${h.name} [${h.roles.join(', ')}]: ${h.files.length} files (${counts(h.files)})`, `  units: ${h.units.join(' ') || '(none)'}`);
    for (const f of h.files) {
      const sha = f.sha256 ? f.sha256.slice(0, 12) : '(bundle)    ';
      const extra = [f.secret ? 'secret' : '', f.restarts.length ? `restarts ${f.restarts.join(',')}` : '', f.reloads?.length ? `reloads ${f.reloads.join(',')}` : '', f.source ? `from ${f.source}` : ''].filter(Boolean).join('; ');
      lines.push(`  ${status(f.status)} ${f.mode} ${shortSize(f.size).padStart(6)} ${sha} ${f.path}${extra ? `  (${extra})` : ''}`);
    }
  }
  if (v.removed.length) lines.push('', 'No longer planned (left on hosts; remove by hand if needed):', ...v.removed.map((r) => `  ${r}`));
  if (v.orphans.length) lines.push('', ...describeOrphans(v.orphans, inventoryFile));
  if (v.notices.length) lines.push('', 'Notes:', ...v.notices.map((n) => `  - ${n}`));
  return `${lines.join('\n')}\n`;
}
