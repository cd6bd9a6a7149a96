/**
 * The etcd rolling restart gate (Phase.rolling.check): one look, from one member, at every member
 * of the cluster (all of the plan's members, also those a --limit left out of the run):
 * - every member healthy: /livez + /readyz for etcd 3.6+, `etcdctl endpoint health` (a
 *   linearizable read, which a member answers only once it caught up with the leader) before;
 * - the cluster has a leader, and every member names the same one;
 * - the members agree on the data: `endpoint status` is read twice, around the health probe, and
 *   every member's revision in the second read must have reached the highest revision of the
 *   first. Exact equality would never hold under write load (the reads of the members are a few
 *   milliseconds apart); "caught up with where the cluster was a moment ago" does, and a member
 *   still applying a backlog after its restart does not pass.
 * All three commands run in one remote shell, so one look costs one round trip.
 */
import type { PlannedHost } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { GateInput, GateVerdict, PhaseContext } from '../phase.js';
import { shQuote } from '../pre-probe.js';
import { etcdctlArgv, healthProbe } from './_etcd-health.js';

/** What the gate checks, as plan and apply print it. */
export const ETCD_GATE = 'member health + leader + revision agreement';

const SEP = '@@kubesmith-gate@@';

interface StatusRow {
  readonly Endpoint: string;
  readonly Status?: { readonly header?: { readonly member_id?: number; readonly revision?: number }; readonly leader?: number };
}

/** One look at the health of every member. */
export async function etcdGate(readers: ReadonlyMap<string, HostReader>, input: GateInput, ctx: PhaseContext): Promise<GateVerdict> {
  const members = input.plan.hosts.filter((h) => h.host.roles.includes('etcd'));
  const from = members.find((m) => readers.has(m.host.name));
  const reader = from && readers.get(from.host.name);
  const checked = members.map((m) => m.host.name);
  if (!from || !reader) return { checked, unhealthy: new Map(), cluster: 'no etcd member is connected to look at the cluster from' };
  const endpoint = (h: PlannedHost): string => `https://${h.host.internalIP}:2379`;
  const endpoints = members.map(endpoint);
  // Shorter than the report's 5 s: a stopped member costs the whole command timeout on every look.
  const base = etcdctlArgv(input.plan, from, endpoints)?.map((a) => (a.startsWith('--command-timeout=') ? '--command-timeout=2s' : a));
  const health = healthProbe(input.plan, from, endpoints);
  if (!base || !health) return { checked, unhealthy: new Map(), cluster: `${from.host.name} has no healthcheck-client certificate to ask etcd with` };
  const status = [...base, '--dial-timeout=1s', 'endpoint', 'status'];
  const line = (argv: readonly string[]): string => `${argv.map(shQuote).join(' ')} 2>/dev/null`;
  const script = [line(status), `echo ${SEP}`, `${line(health.argv)} || true`, `echo ${SEP}`, line(status), 'exit 0'].join('\n');
  const r = await reader.probe(['sh', '-c', script], { signal: ctx.signal, timeoutMs: 30_000 });
  const [s1 = '', h = '', s2 = ''] = r.stdout.split(`${SEP}\n`);
  return judge(members, endpoint, parseStatus(s1), health.parse(h), parseStatus(s2));
}

/** The verdict from the three reads (exported for the tests). */
export function judge(
  members: readonly PlannedHost[],
  endpoint: (h: PlannedHost) => string,
  before: readonly StatusRow[],
  health: readonly { readonly endpoint: string; readonly health: boolean; readonly error?: string }[],
  after: readonly StatusRow[],
): GateVerdict {
  const unhealthy = new Map<string, string>();
  const byEndpoint = new Map(after.map((s) => [s.Endpoint, s.Status] as const));
  for (const m of members) {
    const hr = health.find((x) => x.endpoint === endpoint(m));
    if (!hr) unhealthy.set(m.host.name, 'no health answer');
    else if (!hr.health) unhealthy.set(m.host.name, `unhealthy: ${hr.error ?? 'no reason given'}`);
    else if (!byEndpoint.get(endpoint(m))) unhealthy.set(m.host.name, 'no `endpoint status` answer');
  }
  const answered = members.flatMap((m) => {
    const st = byEndpoint.get(endpoint(m));
    return st ? [{ host: m.host.name, id: st.header?.member_id, leader: st.leader ?? 0, revision: st.header?.revision ?? 0 }] : [];
  });
  const leaders = new Set(answered.map((a) => a.leader));
  const leaderHost = answered.find((a) => a.id !== undefined && a.id === [...leaders][0])?.host;
  const problems: string[] = [];
  if (answered.length > 0 && (leaders.has(0) || leaders.size !== 1)) {
    problems.push(leaders.size > 1 ? `members disagree on the leader (${answered.map((a) => `${a.host}: ${a.leader}`).join(', ')})` : 'the cluster has no leader');
  }
  const high = Math.max(0, ...before.map((s) => s.Status?.header?.revision ?? 0));
  const behind = answered.filter((a) => a.revision < high);
  if (behind.length > 0) problems.push(`revision not caught up: ${behind.map((a) => `${a.host} at ${a.revision}`).join(', ')}, the cluster was at ${high}`);
  return {
    checked: members.map((m) => m.host.name),
    unhealthy,
    ...(problems.length > 0 ? { cluster: problems.join('; ') } : {}),
    ...(leaderHost !== undefined && leaders.size === 1 ? { last: [leaderHost], lastWhy: 'the current leader, so the cluster elects once' } : {}),
  };
}

function parseStatus(text: string): readonly StatusRow[] {
  const start = text.indexOf('[');
  if (start < 0) return [];
  try {
    const v = JSON.parse(text.slice(start)) as unknown;
    return Array.isArray(v) ? (v as StatusRow[]) : [];
  } catch {
    return [];
  }
}
