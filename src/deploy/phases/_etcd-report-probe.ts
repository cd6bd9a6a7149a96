/**
 * The etcd report's look at every member in ONE curl process (pure: argv and parser;
 * _etcd-health.ts runs it): health and `endpoint status` over the client URL with the
 * healthcheck-client certificate, one connection per member. Two etcdctl processes (health and
 * status: ~0.23 s of host CPU together, measured; a curl per request was no cheaper) were most of
 * the etcd phase of a no-change re-apply; the one curl costs ~0.08 s.
 * - health: /livez + /readyz for 3.6+ (status/etcd-http-health.ts, as before); for 3.5, /health,
 *   which answers what `etcdctl endpoint health` does: no alarm raised and a linearizable read
 *   served (etcdhttp checkHealth; it also fails a member without a leader, which cannot serve
 *   that read anyway).
 * - status: POST /v3/maintenance/status, the gRPC gateway of the Maintenance.Status call etcdctl
 *   makes, so version, db size, leader, raft term and index are the same numbers (64-bit ids come
 *   as JSON strings there: compared exactly, not as rounded doubles).
 * Without curl on the host the script exits 127 and the report asks etcdctl as before.
 */
import { parseHttpHealth, type HttpHealthRow } from '../../status/etcd-http-health.js';

/** A member's `endpoint status`, as the report tabulates it (ids as decimal strings). */
export interface MemberStatus {
  readonly memberId?: string;
  readonly leader?: string;
  readonly version?: string;
  readonly dbSize?: number;
  readonly raftTerm?: number;
  readonly raftIndex?: number;
}

const SECTION = '--- kubesmith etcd';
/** Ends every transfer's output on stdout (curl's -w), so bodies are told apart without a shell loop. */
const END = '--- kubesmith etcd end';
const TLS = ['--connect-timeout', '3', '--max-time', '5', '--cacert', '$CA', '--cert', '$CERT', '--key', '$KEY', '-w', `\n${END} %{http_code} %{time_total}\n`];

/** The requests, in the order curl makes them: health first (GET), then status (POST). */
export function reportRequests(endpoints: readonly string[], httpHealth: boolean): readonly { readonly kind: string; readonly ep: string; readonly url: string }[] {
  const health = endpoints.flatMap((ep) => (httpHealth ? ['livez', 'readyz'].map((kind) => ({ kind, ep, url: `${ep}/${kind}?verbose` })) : [{ kind: 'health', ep, url: `${ep}/health` }]));
  return [...health, ...endpoints.map((ep) => ({ kind: 'status', ep, url: `${ep}/v3/maintenance/status` }))];
}

/**
 * argv of the one command: `sh` only checks that curl exists (exit 127 otherwise), then execs it
 * with every request; transfers run one after another, each answer followed by its END line, and
 * curl's own messages (refused, timeout, TLS) go to stderr in the same order.
 */
export function reportProbeArgv(c: { readonly cacert: string; readonly cert: string; readonly key: string }, endpoints: readonly string[], httpHealth: boolean): readonly string[] {
  const tls = TLS.map((a) => (a === '$CA' ? c.cacert : a === '$CERT' ? c.cert : a === '$KEY' ? c.key : a));
  const reqs = reportRequests(endpoints, httpHealth);
  const get = reqs.filter((r) => r.kind !== 'status').map((r) => r.url);
  const post = reqs.filter((r) => r.kind === 'status').map((r) => r.url);
  return ['sh', '-c', 'command -v curl >/dev/null 2>&1 || exit 127; exec curl "$@"', 'etcd-report', '-sS', ...tls, ...get, '--next', ...tls, '-X', 'POST', '-d', '{}', ...post];
}

/** The answers in request order: curl's -w END lines close each body; a failed transfer (000) takes the next message from stderr. */
function sections(stdout: string, stderr: string, reqs: readonly { readonly kind: string; readonly ep: string }[]): { readonly kind: string; readonly ep: string; readonly lines: readonly string[] }[] {
  const said = stderr.split('\n').filter((l) => l.startsWith('curl: ('));
  const out: { kind: string; ep: string; lines: string[] }[] = [];
  let body: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = new RegExp(`^${END} (\\d{3}) ([\\d.]+)$`).exec(line);
    if (!m) {
      body.push(line);
      continue;
    }
    const req = reqs[out.length];
    if (!req) break;
    const text = m[1] === '000' ? [said.shift() ?? ''] : body;
    out.push({ kind: req.kind, ep: req.ep, lines: [...text, `${m[1]} ${m[2]}`] });
    body = [];
  }
  return out;
}

/** Body lines and the "<code> <seconds>" line curl's -w adds (absent when curl printed nothing more). */
function answer(lines: readonly string[]): { readonly code: string; readonly seconds?: number; readonly body: string } {
  const kept = lines.filter((l) => l.trim() !== '');
  const last = /^(\d{3}) ([\d.]+)$/.exec(kept.at(-1)?.trim() ?? '');
  return last ? { code: last[1] ?? '000', seconds: Number(last[2]), body: kept.slice(0, -1).join('\n') } : { code: '000', body: kept.join('\n') };
}

/** 3.5's /health answer ({"health":"true","reason":""}) as a health row. */
function healthRow(ep: string, lines: readonly string[]): HttpHealthRow {
  const a = answer(lines);
  let said: { health?: string; reason?: string } = {};
  try {
    said = JSON.parse(a.body) as typeof said;
  } catch {
    // curl's own message (refused, TLS) or an HTML error page: reported as it is
  }
  const healthy = a.code === '200' && said.health === 'true';
  const took = a.seconds === undefined ? {} : { took: `${Math.round(a.seconds * 10_000) / 10}ms` };
  if (healthy) return { endpoint: ep, health: true, ...took };
  const why = said.reason ? `health: ${said.reason}` : a.code === '000' ? `health: ${a.body.trim() || 'no answer'}` : `health: HTTP ${a.code}${a.body.trim() ? ` ${a.body.trim()}` : ''}`;
  return { endpoint: ep, health: false, ...took, error: why };
}

/** The gateway's status JSON (every int64 a string) as a MemberStatus; undefined when it is not one. */
function statusOf(lines: readonly string[]): MemberStatus | undefined {
  const a = answer(lines);
  if (a.code !== '200') return undefined;
  try {
    const s = JSON.parse(a.body) as { header?: { member_id?: string }; version?: string; dbSize?: string; leader?: string; raftTerm?: string; raftIndex?: string };
    if (typeof s.header?.member_id !== 'string' || typeof s.version !== 'string') return undefined;
    const num = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
    const n = { dbSize: num(s.dbSize), raftTerm: num(s.raftTerm), raftIndex: num(s.raftIndex) };
    return {
      memberId: s.header.member_id,
      version: s.version,
      ...(s.leader === undefined ? {} : { leader: s.leader }),
      ...Object.fromEntries(Object.entries(n).filter(([, v]) => v !== undefined)),
    };
  } catch {
    return undefined;
  }
}

/** Health rows (one per endpoint that was probed) and the status of each endpoint that answered it. */
export function parseReportProbe(
  out: { readonly stdout: string; readonly stderr: string },
  endpoints: readonly string[],
  httpHealth: boolean,
): { readonly health: readonly HttpHealthRow[]; readonly status: ReadonlyMap<string, MemberStatus> } {
  const parts = sections(out.stdout, out.stderr, reportRequests(endpoints, httpHealth));
  const health = httpHealth
    ? parseHttpHealth(parts.filter((p) => p.kind === 'livez' || p.kind === 'readyz').map((p) => [`${SECTION} ${p.kind} ${p.ep}`, ...p.lines].join('\n')).join('\n'))
    : parts.filter((p) => p.kind === 'health').map((p) => healthRow(p.ep, p.lines));
  const status = new Map(parts.flatMap((p) => {
    const st = p.kind === 'status' ? statusOf(p.lines) : undefined;
    return st ? [[p.ep, st] as const] : [];
  }));
  return { health, status };
}
