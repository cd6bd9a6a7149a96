/**
 * Pure pieces of `kubesmith etcd snapshot`: the remote commands (a member's own status, snapshot
 * save, snapshot inspection), their parsers, and which member takes the snapshot. The offline
 * snapshot tool is etcdutl where the plan ships it (etcd 3.6+, ETCD_RULES.etcdutlInRelease) and
 * etcdctl before (3.5's `etcdctl snapshot status/restore`, deprecated there, same flags and JSON).
 */
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import { parseEtcdJson } from '../../status/etcd.js';
import { appliesTo, ETCD_RULES } from '../../render/flags-by-version.js';
import { parseVersion } from '../../shared/semver.js';
import type { EtcdMemberFact, EtcdSnapshotFact, EtcdSnapshotProblem } from '../etcd-facts.js';
import type { Step } from '../phase.js';
import { shQuote } from '../pre-probe.js';
import { healthProbe, plainEtcdctlArgv } from './_etcd-health.js';

/** Where the snapshot is taken on the member, before it is copied off (root only). */
export const BACKUP_DIR = '/var/lib/kubesmith/etcd-backup';
/** One fixed name: a rerun replaces what an interrupted run left, and cleanup knows what to remove. */
export const SNAPSHOT_TMP = `${BACKUP_DIR}/snapshot.db`;

const SEP = '@@kubesmith-etcd@@';

/** The member's client URL (as the etcd config advertises it). */
export function memberEndpoint(h: PlannedHost): string {
  const ip = h.host.internalIP;
  return `https://${ip.includes(':') ? `[${ip}]` : ip}:2379`;
}

/** etcd members of the plan, in inventory order. */
export function etcdMembers(plan: ClusterPlan): readonly PlannedHost[] {
  return plan.hosts.filter((h) => h.host.roles.includes('etcd'));
}

/** The binary for offline snapshot work (status, restore): etcdutl from 3.6, etcdctl on 3.5. */
export function offlineTool(plan: ClusterPlan): string {
  const bin = `${plan.inventory.paths.etcd.replace(/\/+$/, '')}/bin`;
  const v = parseVersion(plan.inventory.cluster.etcdVersion);
  return v && appliesTo(ETCD_RULES.etcdutlInRelease, v) ? `${bin}/etcdutl` : `${bin}/etcdctl`;
}

/** etcdctl with the member's healthcheck-client credentials against its own endpoint, no output format. */
function ownEtcdctl(plan: ClusterPlan, h: PlannedHost, timeout: string): readonly string[] | undefined {
  return plainEtcdctlArgv(plan, h, [memberEndpoint(h)])?.map((a) => (a.startsWith('--command-timeout=') ? `--command-timeout=${timeout}` : a));
}

/** One round trip: the member's own `endpoint status` and health. Undefined without credentials in the plan. */
export function memberProbeArgv(plan: ClusterPlan, h: PlannedHost): readonly string[] | undefined {
  const base = ownEtcdctl(plan, h, '5s');
  const health = healthProbe(plan, h, [memberEndpoint(h)]);
  if (!base || !health) return undefined;
  const line = (argv: readonly string[]): string => `${argv.map(shQuote).join(' ')} 2>&1`;
  return ['sh', '-c', [`${line([...base, '--dial-timeout=3s', '-w', 'json', 'endpoint', 'status'])} || true`, `echo ${SEP}`, `${line(health.argv)} || true`].join('\n')];
}

interface StatusJson {
  readonly Status?: { readonly header?: { readonly member_id?: string; readonly revision?: number }; readonly leader?: string; readonly raftIndex?: number };
}

/** The member's view of itself from memberProbeArgv's output. */
export function parseMemberProbe(plan: ClusterPlan, h: PlannedHost, stdout: string): EtcdMemberFact {
  const [statusText = '', healthText = ''] = stdout.split(`${SEP}\n`);
  const st = parseEtcdJson<StatusJson>(statusText)[0]?.Status;
  const health = healthProbe(plan, h, [memberEndpoint(h)])?.parse(healthText)[0];
  const firstLine = (t: string): string => t.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('{') && !l.startsWith('[')) ?? '';
  const error = !st ? firstLine(statusText) || 'no `endpoint status` answer' : health?.health !== true ? health?.error ?? (firstLine(healthText) || 'no health answer') : undefined;
  return {
    healthy: st !== undefined && health?.health === true,
    ...(st?.header?.member_id === undefined ? {} : { memberId: String(st.header.member_id) }),
    ...(st?.leader === undefined ? {} : { leaderId: String(st.leader) }),
    ...(st?.header?.revision === undefined ? {} : { revision: st.header.revision }),
    ...(st?.raftIndex === undefined ? {} : { raftIndex: st.raftIndex }),
    ...(error === undefined ? {} : { error }),
  };
}

/** The member that takes the snapshot, and why; or why none can. */
export type SnapshotPick = { readonly host: string; readonly why: string } | { readonly error: string };

/**
 * The leader when it is healthy and connected; else the healthy member at the highest revision
 * (a follower that has applied everything the leader had when we looked). Refuses when no member
 * is healthy or no member follows a leader: a member without quorum may hold stale data.
 */
export function pickSnapshotMember(members: readonly { readonly host: string; readonly fact?: EtcdMemberFact }[]): SnapshotPick {
  const healthy = members.filter((m) => m.fact?.healthy === true);
  const why = members.map((m) => `${m.host}: ${m.fact === undefined ? 'not reached' : m.fact.healthy ? 'healthy' : m.fact.error ?? 'unhealthy'}`).join('; ');
  if (healthy.length === 0) return { error: `no etcd member is healthy (${why})` };
  const votes = new Map<string, number>();
  for (const m of healthy) if (m.fact?.leaderId && m.fact.leaderId !== '0') votes.set(m.fact.leaderId, (votes.get(m.fact.leaderId) ?? 0) + 1);
  const leaderId = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (leaderId === undefined) return { error: `no healthy member follows a leader, so none is known to hold the cluster's latest data (${why})` };
  const leader = healthy.find((m) => m.fact?.memberId === leaderId);
  if (leader) return { host: leader.host, why: `the leader, at revision ${leader.fact?.revision ?? '?'}` };
  const top = Math.max(...healthy.map((m) => m.fact?.revision ?? 0));
  const at = healthy.find((m) => (m.fact?.revision ?? 0) === top);
  return at ? { host: at.host, why: `at revision ${top}, the highest of the healthy members (the leader is not among the members reached)` } : { error: why };
}

/** `etcdctl snapshot save` on the member against its own endpoint, to SNAPSHOT_TMP (etcdctl writes `.part`, then renames). */
export function snapshotSaveArgv(plan: ClusterPlan, h: PlannedHost): readonly string[] | undefined {
  const base = ownEtcdctl(plan, h, '30m');
  return base && ['sh', '-c', 'f=$1; shift; rm -f "$f" "$f.part" && exec "$@" snapshot save "$f"', 'sh', SNAPSHOT_TMP, ...base];
}

/** Steps on the member that saves: the backup directory, then `etcdctl snapshot save` (undefined without credentials in the plan). */
export function snapshotSaveSteps(plan: ClusterPlan, h: PlannedHost, why: string): readonly Step[] | undefined {
  const save = snapshotSaveArgv(plan, h);
  return save && [
    { kind: 'mkdir', path: BACKUP_DIR, mode: 0o700 },
    { kind: 'exec', argv: save, why: `etcdctl snapshot save ${SNAPSHOT_TMP} (${why})` },
  ];
}

/** Steps that copy a verified snapshot to `to` on the operator machine, then remove the member's copy. */
export function snapshotFetchSteps(f: EtcdSnapshotFact, to: string): readonly Step[] {
  return [
    { kind: 'fetch', path: f.path, to, size: f.size, why: `revision ${f.revision}, ${f.totalKey} keys, etcd hash ${f.hash}` },
    { kind: 'exec', argv: ['rm', '-f', f.path], why: 'the copy is verified; the member keeps no snapshot (it holds every secret of the cluster)' },
  ];
}

/**
 * Inspection of a snapshot file on the host: "absent", or its size and `snapshot status -w json`
 * (hash, revision, total keys). Its sha256 is computed by the host while the copy streams (download).
 */
export function snapshotInspectArgv(plan: ClusterPlan, path: string = SNAPSHOT_TMP): readonly string[] {
  const script = [
    'f=$1; tool=$2',
    '[ -f "$f" ] || { echo absent; exit 0; }',
    'echo "size $(stat -c %s "$f")"',
    'st=$("$tool" snapshot status "$f" -w json 2>&1); rc=$?',
    'printf "status %s %s\\n" "$rc" "$(printf %s "$st" | tr "\\n" " ")"',
  ].join('\n');
  return ['sh', '-c', script, 'sh', path, offlineTool(plan)];
}

/** The parsed inspection; undefined when the file is absent. */
export function parseSnapshotInspect(path: string, stdout: string): EtcdSnapshotFact | EtcdSnapshotProblem | undefined {
  if (/^absent$/m.test(stdout)) return undefined;
  const field = (k: string): string | undefined => new RegExp(`^${k} (.*)$`, 'm').exec(stdout)?.[1]?.trim();
  const size = Number(field('size'));
  const status = /^status (\d+) (.*)$/m.exec(stdout);
  if (!status || status[1] !== '0') return { path, error: `snapshot status failed: ${status?.[2]?.trim() || 'no answer'}` };
  const json = /\{[^{}]*\}/.exec(status[2] ?? '')?.[0];
  let parsed: { hash?: number; revision?: number; totalKey?: number } = {};
  try {
    parsed = JSON.parse(json ?? '{}') as typeof parsed;
  } catch {
    return { path, error: `snapshot status printed no JSON: ${status[2]?.trim()}` };
  }
  if (parsed.revision === undefined || parsed.hash === undefined || parsed.totalKey === undefined) return { path, error: `snapshot status printed no hash/revision/totalKey: ${json ?? status[2]?.trim()}` };
  return { path, size, hash: parsed.hash, revision: parsed.revision, totalKey: parsed.totalKey };
}

/** True when the inspection found a verified snapshot. */
export function isVerified(f: EtcdSnapshotFact | EtcdSnapshotProblem | undefined): f is EtcdSnapshotFact {
  return f !== undefined && 'revision' in f;
}
