/**
 * The restore's proof, before any apiserver starts: every member of the inventory is healthy
 * (the rolling restart's gate: health, one leader, revisions agree), `member list` holds exactly
 * the inventory's members with their peer URLs, and every member is at the snapshot's revision
 * (read back from the pushed snapshot with `snapshot status`). Retried until the phase deadline
 * (members elect a leader a moment after starting together). Read-only.
 */
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import { parseEtcdJson } from '../../status/etcd.js';
import type { PhaseContext, PhaseReport } from '../phase.js';
import type { HostReader } from '../ssh/connection.js';
import { etcdMembers, memberEndpoint, parseSnapshotInspect, snapshotInspectArgv, isVerified } from './_etcd-backup.js';
import { etcdGate } from './_etcd-gate.js';
import { etcdctlArgv } from './_etcd-health.js';
import { remoteSnapshotPath, type RestoreSpec } from './_etcd-restore.js';

interface StatusRow {
  readonly Endpoint: string;
  readonly Status?: { readonly header?: { readonly member_id?: string; readonly revision?: number }; readonly leader?: string };
}
interface MemberList {
  readonly members?: readonly { readonly name?: string; readonly peerURLs?: readonly string[] }[];
}

/** What one look found (pure judgement, exported for the tests). */
export function judgeRestore(
  members: readonly PlannedHost[],
  expectedRevision: number | undefined,
  status: readonly StatusRow[],
  list: MemberList | undefined,
  unhealthy: ReadonlyMap<string, string>,
  cluster: string | undefined,
): { rows: string[][]; problems: { host: string; message: string }[] } {
  const problems: { host: string; message: string }[] = [];
  const rows = members.map((m) => {
    const st = status.find((s) => s.Endpoint === memberEndpoint(m))?.Status;
    const rev = st?.header?.revision;
    const bad = unhealthy.get(m.host.name);
    if (bad !== undefined) problems.push({ host: m.host.name, message: `etcd member is ${bad} after the restore` });
    else if (rev === undefined) problems.push({ host: m.host.name, message: 'no `endpoint status` answer after the restore' });
    else if (expectedRevision !== undefined && rev < expectedRevision) problems.push({ host: m.host.name, message: `at revision ${rev}, below the snapshot's ${expectedRevision}` });
    const leader = st?.leader !== undefined && st.leader === st.header?.member_id;
    return [m.host.name, memberEndpoint(m), bad === undefined ? 'healthy' : bad, rev === undefined ? '' : String(rev), String(expectedRevision ?? '?'), st ? String(leader) : ''];
  });
  const revs = new Set(rows.map((r) => r[3]).filter((r) => r !== ''));
  if (revs.size > 1) problems.push({ host: members[0]?.host.name ?? '', message: `members are at different revisions (${rows.map((r) => `${r[0]}: ${r[3]}`).join(', ')})` });
  if (cluster !== undefined) problems.push({ host: members[0]?.host.name ?? '', message: cluster });
  const want = members.map((m) => `${m.host.name}=${memberEndpoint(m).replace(/:2379$/, ':2380')}`).sort();
  const got = (list?.members ?? []).map((x) => `${x.name ?? '?'}=${(x.peerURLs ?? []).join('|')}`).sort();
  if (list !== undefined && want.join(',') !== got.join(',')) problems.push({ host: members[0]?.host.name ?? '', message: `member list is [${got.join(', ')}], the inventory says [${want.join(', ')}]` });
  return { rows, problems };
}

/** The report of the etcd-restore-verify phase. */
export function restoreReport(spec: RestoreSpec) {
  return async (readers: ReadonlyMap<string, HostReader>, plan: ClusterPlan, ctx: PhaseContext): Promise<PhaseReport | undefined> => {
    const members = etcdMembers(plan);
    const from = members.find((m) => readers.has(m.host.name));
    const reader = from && readers.get(from.host.name);
    if (!from || !reader) return undefined;
    const inspect = await reader.probe(snapshotInspectArgv(plan, remoteSnapshotPath(spec)), { signal: ctx.signal, timeoutMs: 600_000 });
    const snap = parseSnapshotInspect(remoteSnapshotPath(spec), inspect.stdout);
    const expected = isVerified(snap) ? snap.revision : undefined;
    const base = etcdctlArgv(plan, from, members.map(memberEndpoint)) ?? [];
    for (;;) {
      const verdict = await etcdGate(readers, { plan, hosts: members, facts: new Map() }, ctx);
      const [st, ml] = await Promise.all([
        reader.probe([...base, 'endpoint', 'status'], { signal: ctx.signal, timeoutMs: 30_000 }),
        reader.probe([...base, 'member', 'list'], { signal: ctx.signal, timeoutMs: 30_000 }),
      ]);
      const list = parseEtcdJson<MemberList>(ml.stdout)[0];
      const judged = judgeRestore(members, expected, parseEtcdJson<StatusRow>(st.stdout), list, verdict.unhealthy, verdict.cluster);
      if (judged.problems.length === 0 || ctx.clock.now().getTime() > ctx.deadline || ctx.signal.aborted) {
        return {
          title: `etcd after the restore (snapshot revision ${expected ?? 'unknown'})`,
          columns: ['MEMBER', 'ENDPOINT', 'HEALTH', 'REVISION', 'SNAPSHOT REVISION', 'IS LEADER'],
          rows: judged.rows,
          failures: judged.problems.map((p) => ({ host: p.host, message: `${p.message}; see \`journalctl -u etcd\` on the member, fix it and run \`kubesmith etcd restore\` again (it resumes)` })),
        };
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  };
}
