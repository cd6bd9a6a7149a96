/**
 * When the cluster counts as healthy (exit 0) and when not (exit 1), in one place:
 *  - unhealthy: an apiserver not ready or unreachable; an etcd member unhealthy or unreachable, no
 *    etcd leader, or members naming different leaders; a kube-controller-manager or kube-scheduler
 *    Lease missing or expired; an inventory node missing, not Ready or under pressure; a section the
 *    API could not answer; a certificate expired or not signed by its CA.
 *  - warnings only: pending CSRs, certificates expiring within the window or missing from the local
 *    state, an expired bootstrap token, registered nodes the inventory does not name or whose
 *    InternalIP differs, and etcd skipped because --server bypasses SSH.
 */
import type { StatusReport } from './types.js';

/** The section error when no apiserver could be asked at all (reported once, not per section). */
export const NO_API = 'no apiserver could be reached (see the apiserver rows)';

type Findings = Pick<StatusReport, 'problems' | 'warnings'>;
type Sections = Omit<StatusReport, 'healthy' | 'problems' | 'warnings'>;

function etcdFindings(s: Sections, problems: string[], warnings: string[]): void {
  if (s.etcd.skipped) return void warnings.push(`etcd not checked: ${s.etcd.skipped}`);
  for (const m of s.etcd.members) if (!m.healthy) problems.push(`etcd ${m.host}: ${m.error ?? 'unhealthy'}`);
  const leaders = new Set(s.etcd.members.flatMap((m) => (m.leaderId && m.leaderId !== '0' ? [m.leaderId] : [])));
  const answered = s.etcd.members.filter((m) => m.memberId !== undefined);
  if (answered.length > 0 && leaders.size === 0) problems.push('etcd: no leader (quorum lost?)');
  if (leaders.size > 1) problems.push(`etcd: members name different leaders (${[...leaders].join(', ')})`);
}

/** Lists what is wrong (problems) and what is worth knowing (warnings). */
export function findings(s: Sections): Findings {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const a of s.apiservers) if (!a.ready) problems.push(`apiserver ${a.host}: ${a.detail}`);
  etcdFindings(s, problems, warnings);
  const apiDown = s.nodesError === NO_API;
  if (apiDown) problems.push(`cluster API: ${NO_API}: leaders, nodes and CSRs unknown`);
  for (const l of apiDown ? [] : s.leaders) {
    if (l.expired) problems.push(`${l.component}: no leader (${l.error ?? `lease last renewed ${l.renewTime ?? 'never'} by ${l.holder ?? 'nobody'}`})`);
  }
  if (s.nodesError && !apiDown) problems.push(`nodes: ${s.nodesError}`);
  for (const n of s.nodes) {
    const bad = n.status === 'missing' || !n.status.startsWith('Ready') || n.conditions.length > 0;
    if (n.problem) (n.inInventory && bad ? problems : warnings).push(`node ${n.name}: ${n.problem}`);
  }
  if (s.csrs.error && !apiDown) problems.push(`CSRs: ${s.csrs.error}`);
  if (s.csrs.pending > 0) warnings.push(`${s.csrs.pending} CSR(s) pending: ${s.csrs.approvable} kubesmith would approve (\`kubesmith approve\`), ${s.csrs.leftForHuman} left for a human`);
  if (s.token?.expired) warnings.push(`bootstrap token ${s.token.id} expired at ${s.token.expires}; \`kubesmith apply\` issues a new one when nodes join`);
  const c = s.certificates;
  if (c.error) problems.push(`certificates: ${c.error}`);
  for (const r of c.attention.filter((x) => x.status !== 'missing')) {
    const line = `certificate ${r.id}: ${r.status}${r.expires ? ` (expires ${r.expires})` : ''}`;
    (r.status === 'expired' || r.status === 'not signed by its CA' ? problems : warnings).push(line);
  }
  if (c.remote?.error) warnings.push(`certificates on the hosts: ${c.remote.error}`);
  for (const r of c.remote?.attention ?? []) {
    // Expired on a host is an outage in waiting; a place not yet updated (renewed, apply pending) only warns.
    const line = `certificate ${r.certificate} on ${r.host} (${r.location}): ${r.expired ? 'expired' : r.status}${r.expires ? ` (expires ${r.expires})` : ''}`;
    (r.expired ? problems : warnings).push(line);
  }
  const missing = c.attention.filter((x) => x.status === 'missing').map((x) => x.id);
  if (missing.length > 0) warnings.push(`${missing.length} certificate(s) missing from the local PKI state (${missing.join(', ')}): \`kubesmith pki generate\` issues them`);
  return { problems, warnings };
}
