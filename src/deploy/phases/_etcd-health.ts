/**
 * The etcd cluster check, run for the user after all members were started: health and `endpoint
 * status` of every member, authenticated with the healthcheck-client certificate the CA issued for
 * that purpose, retried until the phase deadline, in one curl command from the first member
 * (_etcd-report-probe.ts: /livez + /readyz for etcd 3.6+, /health for 3.5, status through etcd's
 * gRPC gateway); etcdctl where the host has no curl. The rollout gate (_etcd-gate.ts) still uses
 * `etcdctl endpoint health` for 3.5, the version a cluster runs only before its upgrade.
 */
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import type { CommandResult, HostReader } from '../ssh/connection.js';
import type { PhaseContext, PhaseReport } from '../phase.js';
import { httpHealthArgv, parseHttpHealth, usesHttpHealth } from '../../status/etcd-http-health.js';
import { waitFor } from './_units.js';
import { parseReportProbe, reportProbeArgv, type MemberStatus } from './_etcd-report-probe.js';

/** One member's health, as etcdctl's `endpoint health -w json` and parseHttpHealth both give it. */
export interface Health {
  readonly endpoint: string;
  readonly health: boolean;
  readonly took?: string;
  readonly error?: string;
}
interface Status {
  readonly Endpoint: string;
  readonly Status?: { readonly header?: { readonly member_id?: number }; readonly version?: string; readonly dbSize?: number; readonly leader?: number; readonly raftTerm?: number; readonly raftIndex?: number };
}

/** The healthcheck-client pair and etcd CA shipped to `host`. */
function credentials(host: PlannedHost): { cacert: string; cert: string; key: string } | undefined {
  const path = (suffix: string): string | undefined => host.artifacts.find((a) => a.path.endsWith(suffix))?.path;
  const cert = path('/healthcheck-client.pem');
  const key = path('/healthcheck-client-key.pem');
  const ca = cert ? `${cert.slice(0, cert.lastIndexOf('/'))}/ca.pem` : undefined;
  return cert && key && ca ? { cacert: ca, cert, key } : undefined;
}

/** etcdctl argv with TLS flags from the host's shipped credentials. */
export function etcdctlArgv(plan: ClusterPlan, host: PlannedHost, endpoints: readonly string[]): readonly string[] | undefined {
  const c = credentials(host);
  if (!c) return undefined;
  const bin = `${plan.inventory.paths.etcd.replace(/\/+$/, '')}/bin/etcdctl`;
  return [bin, `--endpoints=${endpoints.join(',')}`, `--cacert=${c.cacert}`, `--cert=${c.cert}`, `--key=${c.key}`, '--command-timeout=5s', '-w', 'json'];
}

/** etcdctl as etcdctlArgv without `-w json`, for commands whose plain output a script reads. */
export function plainEtcdctlArgv(plan: ClusterPlan, host: PlannedHost, endpoints: readonly string[]): readonly string[] | undefined {
  return etcdctlArgv(plan, host, endpoints)?.filter((a, i, all) => a !== '-w' && all[i - 1] !== '-w');
}

/**
 * The health probe and its parser for the inventory's etcd: /livez + /readyz (3.6+), else
 * `etcdctl endpoint health`. Exported for the tests, which run it against a real etcd.
 */
export function healthProbe(plan: ClusterPlan, host: PlannedHost, endpoints: readonly string[]): { argv: readonly string[]; parse: (out: string) => readonly Health[] } | undefined {
  const c = credentials(host);
  const base = etcdctlArgv(plan, host, endpoints);
  if (!c || !base) return undefined;
  if (usesHttpHealth(plan.inventory.cluster.etcdVersion)) return { argv: httpHealthArgv(c, endpoints), parse: parseHttpHealth };
  return { argv: [...base, 'endpoint', 'health'], parse: (out) => parseJson<Health>(out.slice(Math.max(0, out.indexOf('[')))) };
}

function parseJson<T>(text: string): T[] {
  try {
    const v = JSON.parse(text) as unknown;
    return (Array.isArray(v) ? v : [v]) as T[];
  } catch {
    return [];
  }
}

/** etcdctl's `endpoint status -w json` rows as MemberStatus by endpoint (ids as decimal strings). */
function etcdctlStatus(text: string): ReadonlyMap<string, MemberStatus> {
  return new Map(parseJson<Status>(text).flatMap((row) => {
    const s = row.Status;
    if (!s) return [];
    // Same rounding on both sides as before: etcdctl prints 64-bit ids as JSON numbers.
    const st: MemberStatus = {
      ...(s.header?.member_id === undefined ? {} : { memberId: String(s.header.member_id) }),
      ...(s.leader === undefined ? {} : { leader: String(s.leader) }),
      ...(s.version === undefined ? {} : { version: s.version }),
      ...(s.dbSize === undefined ? {} : { dbSize: s.dbSize }),
      ...(s.raftTerm === undefined ? {} : { raftTerm: s.raftTerm }),
      ...(s.raftIndex === undefined ? {} : { raftIndex: s.raftIndex }),
    };
    return [[row.Endpoint, st] as const];
  }));
}

/**
 * Health and status of every member as etcdctl gave them (hosts without curl): health retried until
 * healthy, status in parallel with the first health probe and asked again only if health had to wait.
 */
async function etcdctlLook(reader: HostReader, plan: ClusterPlan, runner: PlannedHost, endpoints: readonly string[], ctx: PhaseContext): Promise<{ health: readonly Health[]; status: ReadonlyMap<string, MemberStatus> } | undefined> {
  const base = etcdctlArgv(plan, runner, endpoints);
  const probe = healthProbe(plan, runner, endpoints);
  if (!base || !probe) return undefined;
  const healthy = (out: string): boolean => {
    const rows = probe.parse(out);
    return rows.length === endpoints.length && rows.every((h) => h.health);
  };
  const [health, firstStatus] = await Promise.all([waitFor(reader, probe.argv, ctx, healthy), reader.probe([...base, 'endpoint', 'status'], { signal: ctx.signal, timeoutMs: 30_000 })]);
  const status = health.waited ? await reader.probe([...base, 'endpoint', 'status'], { signal: ctx.signal, timeoutMs: 30_000 }) : firstStatus;
  return { health: probe.parse(health.output), status: etcdctlStatus(status.stdout) };
}

/**
 * Health and status of every member in one curl command (_etcd-report-probe.ts), retried until all
 * are healthy; without curl, etcdctl as before. A healthy member whose status the gateway did not
 * give is asked with `etcdctl endpoint status`, so the table never loses a column.
 */
async function look(reader: HostReader, plan: ClusterPlan, runner: PlannedHost, endpoints: readonly string[], ctx: PhaseContext): Promise<{ health: readonly Health[]; status: ReadonlyMap<string, MemberStatus> } | undefined> {
  const c = credentials(runner);
  if (!c) return undefined;
  const http = usesHttpHealth(plan.inventory.cluster.etcdVersion);
  const argv = reportProbeArgv(c, endpoints, http);
  const ask = (): Promise<CommandResult> => reader.probe(argv, { signal: ctx.signal, timeoutMs: 60_000 });
  let r = await ask();
  if (r.exitCode === 127) return etcdctlLook(reader, plan, runner, endpoints, ctx);
  let got = parseReportProbe(r, endpoints, http);
  // Until every member is healthy or the deadline passes, as waitFor does.
  while (!(got.health.length === endpoints.length && got.health.every((h) => h.health)) && ctx.clock.now().getTime() <= ctx.deadline && !ctx.signal.aborted) {
    await new Promise((res) => setTimeout(res, 1000));
    r = await ask();
    got = parseReportProbe(r, endpoints, http);
  }
  const lacking = got.health.some((h) => h.health && !got.status.has(h.endpoint));
  const base = etcdctlArgv(plan, runner, endpoints);
  if (!lacking || !base) return got;
  const more = etcdctlStatus((await reader.probe([...base, 'endpoint', 'status'], { signal: ctx.signal, timeoutMs: 30_000 })).stdout);
  return { health: got.health, status: new Map([...more, ...got.status]) };
}

/** Health + status of every active member, as a table; unhealthy members become host failures. */
export async function etcdReport(readers: ReadonlyMap<string, HostReader>, plan: ClusterPlan, ctx: PhaseContext): Promise<PhaseReport | undefined> {
  const members = plan.hosts.filter((h) => h.host.roles.includes('etcd') && readers.has(h.host.name));
  const runner = members[0];
  const reader = runner && readers.get(runner.host.name);
  if (!runner || !reader) return undefined;
  const endpointOf = (h: PlannedHost): string => `https://${h.host.internalIP}:2379`;
  const seen = await look(reader, plan, runner, members.map(endpointOf), ctx);
  if (!seen) return undefined;
  const rows = members.map((m) => {
    const ep = endpointOf(m);
    const h = seen.health.find((x) => x.endpoint === ep);
    const s = seen.status.get(ep);
    const leader = s?.leader !== undefined && s.leader === s.memberId;
    return [m.host.name, ep, h ? (h.health ? 'healthy' : `unhealthy: ${h.error ?? ''}`) : 'no answer', h?.took ?? '', s?.version ?? '', s?.dbSize !== undefined ? `${Math.round(s.dbSize / 1024)} kB` : '', s ? (leader ? 'true' : 'false') : '', String(s?.raftTerm ?? ''), String(s?.raftIndex ?? '')];
  });
  const failures = rows
    .filter((r) => r[2] !== 'healthy')
    .map((r) => ({ host: r[0] ?? '', message: `etcd member ${r[1]} is ${r[2]} after waiting; see \`journalctl -u etcd\` on the host` }));
  return { title: 'etcd endpoint health and status', columns: ['MEMBER', 'ENDPOINT', 'HEALTH', 'TOOK', 'VERSION', 'DB SIZE', 'IS LEADER', 'RAFT TERM', 'RAFT INDEX'], rows, failures };
}
