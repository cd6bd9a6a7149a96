/**
 * The human view of a StatusReport: the API line, then one aligned table per section (apiservers,
 * etcd, leader election, nodes, pending CSRs, certificates), then the verdict with every problem
 * and warning. Pure; colour only when the caller says so (ctx.color honours NO_COLOR).
 */
import { humanDuration } from '../kube/csr-table.js';
import { paint, renderTable, type Cell, type Tone } from './table.js';
import type { EtcdMemberRow, StatusReport } from './types.js';

const tone = (text: string, t: Tone): Cell => ({ text, tone: t });

function kib(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

function etcdCells(m: EtcdMemberRow): Cell[] {
  return [
    m.host,
    m.endpoint,
    m.healthy ? tone('healthy', 'good') : tone(m.memberId ? 'unhealthy' : 'unreachable', 'bad'),
    m.isLeader === undefined ? '-' : m.isLeader ? 'yes' : 'no',
    kib(m.dbSizeBytes),
    m.version ?? '-',
    m.took ?? '-',
    m.error ?? '',
  ];
}

function sections(r: StatusReport, color: boolean, now: Date): string[] {
  const out: string[] = [];
  out.push(`API:    ${r.endpoint} as ${r.identity}: ${r.version}, readyz ${r.readyz.ok ? paint('ok', 'good', color) : paint(`FAILED (${r.readyz.detail})`, 'bad', color)}`, '');
  out.push(renderTable(['APISERVER', 'ENDPOINT', 'READYZ', 'DETAIL'], r.apiservers.map((a) => [a.host, a.endpoint, a.ready ? tone('ok', 'good') : tone('failed', 'bad'), a.ready ? '' : a.detail]), color), '');
  if (r.etcd.skipped) out.push(`ETCD:   ${paint(`not checked: ${r.etcd.skipped}`, 'warn', color)}`, '');
  else out.push(renderTable(['ETCD MEMBER', 'ENDPOINT', 'HEALTH', 'LEADER', 'DB SIZE', 'VERSION', 'TOOK', 'ERROR'], r.etcd.members.map(etcdCells), color), '');
  out.push(
    renderTable(
      ['LEADER ELECTION', 'HOLDER', 'RENEWED'],
      r.leaders.map((l) => [l.component, l.expired ? tone(l.holder ? `${l.holder} (expired)` : 'none', 'bad') : (l.holder ?? ''), l.error ?? (l.renewedAgoSeconds === undefined ? '-' : `${humanDuration(l.renewedAgoSeconds)} ago`)]),
      color,
    ),
    '',
  );
  if (r.nodesError) out.push(`NODES:  ${paint(`FAILED (${r.nodesError})`, 'bad', color)}`);
  else {
    const status = (s: string): Cell => tone(s, s.startsWith('Ready') ? 'good' : 'bad');
    out.push(renderTable(['NAME', 'STATUS', 'ROLES', 'VERSION', 'INTERNAL-IP', 'AGE', 'PROBLEM'], r.nodes.map((n) => [n.name, status(n.status), n.roles, n.version, n.internalIP, n.age, n.problem ?? '']), color));
  }
  out.push('');
  const c = r.csrs;
  if (c.error) out.push(`CSRs:   ${paint(`FAILED (${c.error})`, 'bad', color)}`);
  else out.push(`CSRs:   ${c.pending} pending${c.pending === 0 ? '' : `: ${c.approvable} kubesmith would approve (run \`kubesmith approve\`), ${c.leftForHuman} left for a human`}`);
  if (c.rows.length > 0) {
    out.push(renderTable(['CSR', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'DECISION', 'REASON'], c.rows.map((x) => [x.name, x.age, x.signerName, x.requestor, tone(x.decision, x.decision === 'approve' ? 'good' : 'warn'), x.reason]), color));
  }
  if (r.token) {
    const left = (Date.parse(r.token.expires) - now.getTime()) / 1000;
    out.push(`Token:  ${r.token.id} ${r.token.expired ? `expired at ${r.token.expires} (\`kubesmith apply\` issues a new one)` : `expires ${r.token.expires} (in ${humanDuration(left)})`}`);
  }
  out.push('');
  const k = r.certificates;
  if (k.error) out.push(`Certs:  ${paint(`FAILED (${k.error})`, 'bad', color)}`);
  else {
    const soonest = k.soonest ? `; soonest: ${k.soonest.id} in ${k.soonest.residual} (${k.soonest.expires})` : '';
    out.push(`Certs:  ${k.ok}/${k.total} ok (local PKI state, warning at ${k.warnDays}d)${soonest}`);
    const listed = k.attention.filter((x) => x.status !== 'missing');
    const missing = k.attention.filter((x) => x.status === 'missing').map((x) => x.id);
    if (listed.length > 0) {
      const t = (s: string): Tone => (s === 'expired' || s === 'not signed by its CA' ? 'bad' : 'warn');
      out.push(renderTable(['CERTIFICATE', 'STATUS', 'EXPIRES', 'RESIDUAL'], listed.map((x) => [x.id, tone(x.status, t(x.status)), x.expires ?? '-', x.residual]), color));
    }
    if (missing.length > 0) out.push(paint(`missing from the local state: ${missing.join(', ')}`, 'warn', color));
  }
  const rc = k.remote;
  if (rc?.error) out.push(`On hosts: ${paint(`not checked (${rc.error})`, 'warn', color)}`);
  else if (rc) {
    out.push(`On hosts: ${rc.inSync}/${rc.places} deployed certificates match the state on ${rc.hosts.length} of ${rc.totalHosts} hosts (${rc.hosts.join(', ') || 'none reachable'}; \`kubesmith pki check --remote\` checks every host)`);
    if (rc.attention.length > 0) {
      out.push(renderTable(['HOST', 'CERTIFICATE', 'WHERE', 'STATUS', 'EXPIRES', 'RESIDUAL'], rc.attention.map((x) => [x.host, x.certificate, x.location, tone(x.status, x.expired ? 'bad' : 'warn'), x.expires ?? '-', x.residual]), color));
    }
  }
  return out;
}

/** The whole human report, ending with the verdict, problems and warnings. */
export function formatStatusReport(r: StatusReport, now: Date, color: boolean): string {
  const ready = r.nodes.filter((n) => n.status.startsWith('Ready')).length;
  const etcdOk = r.etcd.members.filter((m) => m.healthy).length;
  const apiOk = r.apiservers.filter((a) => a.ready).length;
  const etcdText = r.etcd.skipped ? 'etcd not checked' : `${etcdOk}/${r.etcd.members.length} etcd members healthy`;
  const verdict = `${r.healthy ? 'healthy' : 'NOT healthy'}: ${ready}/${r.nodes.length} nodes Ready, ${etcdText}, ${apiOk}/${r.apiservers.length} apiservers ready`;
  const lines = [...sections(r, color, now), '', paint(verdict, r.healthy ? 'good' : 'bad', color)];
  for (const p of r.problems) lines.push(`  ${paint('problem:', 'bad', color)} ${p}`);
  for (const w of r.warnings) lines.push(`  ${paint('warning:', 'warn', color)} ${w}`);
  return `${lines.join('\n')}\n`;
}
