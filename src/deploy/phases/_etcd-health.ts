/**
 * The etcd cluster check, run for the user after all members were started: `etcdctl endpoint
 * health` and `endpoint status` against every member, authenticated with the healthcheck-client
 * certificate the CA issued for that purpose, retried until the phase deadline.
 */
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { PhaseContext, PhaseReport } from '../phase.js';
import { waitFor } from './_units.js';

interface Health {
  readonly endpoint: string;
  readonly health: boolean;
  readonly took?: string;
  readonly error?: string;
}
interface Status {
  readonly Endpoint: string;
  readonly Status?: { readonly header?: { readonly member_id?: number }; readonly version?: string; readonly dbSize?: number; readonly leader?: number; readonly raftTerm?: number; readonly raftIndex?: number };
}

/** etcdctl argv with TLS flags from the host's shipped credentials. */
export function etcdctlArgv(plan: ClusterPlan, host: PlannedHost, endpoints: readonly string[]): readonly string[] | undefined {
  const path = (suffix: string): string | undefined => host.artifacts.find((a) => a.path.endsWith(suffix))?.path;
  const cert = path('/healthcheck-client.pem');
  const key = path('/healthcheck-client-key.pem');
  const ca = cert ? `${cert.slice(0, cert.lastIndexOf('/'))}/ca.pem` : undefined;
  if (!cert || !key || !ca) return undefined;
  const bin = `${plan.inventory.paths.etcd.replace(/\/+$/, '')}/bin/etcdctl`;
  return [bin, `--endpoints=${endpoints.join(',')}`, `--cacert=${ca}`, `--cert=${cert}`, `--key=${key}`, '--command-timeout=5s', '-w', 'json'];
}

function parseJson<T>(text: string): T[] {
  try {
    const v = JSON.parse(text) as unknown;
    return (Array.isArray(v) ? v : [v]) as T[];
  } catch {
    return [];
  }
}

/** Health + status of every active member, as a table; unhealthy members become host failures. */
export async function etcdReport(readers: ReadonlyMap<string, HostReader>, plan: ClusterPlan, ctx: PhaseContext): Promise<PhaseReport | undefined> {
  const members = plan.hosts.filter((h) => h.host.roles.includes('etcd') && readers.has(h.host.name));
  const runner = members[0];
  const reader = runner && readers.get(runner.host.name);
  if (!runner || !reader) return undefined;
  const endpointOf = (h: PlannedHost): string => `https://${h.host.internalIP}:2379`;
  const base = etcdctlArgv(plan, runner, members.map(endpointOf));
  if (!base) return undefined;
  const healthy = (out: string): boolean => parseJson<Health>(out).every((h) => h.health);
  // Status in parallel with the first health probe; asked again only if health had to wait.
  const [health, firstStatus] = await Promise.all([
    waitFor(reader, [...base, 'endpoint', 'health'], ctx, healthy),
    reader.probe([...base, 'endpoint', 'status'], { signal: ctx.signal, timeoutMs: 30_000 }),
  ]);
  const healthRows = parseJson<Health>(health.output.slice(health.output.indexOf('[')));
  const status = health.waited ? await reader.probe([...base, 'endpoint', 'status'], { signal: ctx.signal, timeoutMs: 30_000 }) : firstStatus;
  const statusRows = parseJson<Status>(status.stdout);
  const rows = members.map((m) => {
    const ep = endpointOf(m);
    const h = healthRows.find((x) => x.endpoint === ep);
    const s = statusRows.find((x) => x.Endpoint === ep)?.Status;
    const leader = s?.leader !== undefined && s.leader === s.header?.member_id;
    return [m.host.name, ep, h ? (h.health ? 'healthy' : `unhealthy: ${h.error ?? ''}`) : 'no answer', h?.took ?? '', s?.version ?? '', s?.dbSize !== undefined ? `${Math.round(s.dbSize / 1024)} kB` : '', s ? (leader ? 'true' : 'false') : '', String(s?.raftTerm ?? ''), String(s?.raftIndex ?? '')];
  });
  const failures = rows
    .filter((r) => r[2] !== 'healthy')
    .map((r) => ({ host: r[0] ?? '', message: `etcd member ${r[1]} is ${r[2]} after waiting; see \`journalctl -u etcd\` on the host` }));
  return { title: 'etcd endpoint health and status', columns: ['MEMBER', 'ENDPOINT', 'HEALTH', 'TOOK', 'VERSION', 'DB SIZE', 'IS LEADER', 'RAFT TERM', 'RAFT INDEX'], rows, failures };
}
