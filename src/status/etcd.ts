/**
 * The etcd section: on each etcd host, the deployed etcdctl (falling back to one on PATH) asks that
 * member's own endpoint for `endpoint health` and `endpoint status` in one SSH round trip,
 * authenticated with the healthcheck-client certificate the CA issued for exactly this
 * (pki/profiles.yaml: etcd-healthcheck-client, installed on every etcd host). Asking each member
 * from its own host means one unreachable host costs one row, not the section.
 */
import type { HostReader } from '../deploy/ssh/connection.js';
import type { Inventory } from '../inventory/types.js';
import { HTTP_HEALTH_SCRIPT, isHttpHealthOutput, parseHttpHealth, usesHttpHealth } from './etcd-http-health.js';
import type { EtcdMemberRow } from './types.js';

/** Where etcdctl and the healthcheck client credentials live on an etcd host. */
export interface EtcdctlPaths {
  readonly bin: string;
  readonly cacert: string;
  readonly cert: string;
  readonly key: string;
  /** etcd 3.6+: health from /livez and /readyz (etcd-http-health.ts) instead of `etcdctl endpoint health`. */
  readonly httpHealth?: boolean;
}

/** One member to ask: its host (or why the host could not be reached) and its client URL. */
export interface EtcdTarget {
  readonly host: string;
  readonly endpoint: string;
  readonly reader: HostReader | Error;
}

/** Separates the two outputs of the single remote command. */
const MARKER = '--- kubesmith etcd status ---';

/**
 * The script run remotely: $1 is the deployed etcdctl; when it is not executable, etcdctl from
 * PATH is used (a host prepared by hand). Health and status run concurrently (status captured,
 * health straight to stdout on fd 3), so a dead member costs one command timeout, not two. Exit
 * codes are ignored: etcdctl exits 1 for an unhealthy endpoint but still prints the JSON saying why.
 */
const SCRIPT = [
  'b="$1"; shift',
  'if [ ! -x "$b" ]; then b=$(command -v etcdctl) || { echo "etcdctl not found: neither $0 nor etcdctl on PATH" >&2; exit 127; }; fi',
  'export ETCDCTL_API=3',
  'exec 3>&1',
  'st=$("$b" "$@" endpoint status & "$b" "$@" endpoint health >&3; wait)',
  `echo '${MARKER}'`,
  'printf "%s\\n" "$st"',
].join('\n');

/**
 * The same for etcd 3.6+, health from /livez and /readyz: $1 etcdctl, $2..$4 CA, cert, key, $5 the
 * member's endpoint, then etcdctl's flags (for `endpoint status`, which has no HTTP equivalent).
 */
const HTTP_SCRIPT = [
  `health() {\n${HTTP_HEALTH_SCRIPT}\n}`,
  'b="$1"; ca="$2"; cert="$3"; key="$4"; ep="$5"; shift 5',
  'if [ ! -x "$b" ]; then b=$(command -v etcdctl) || { echo "etcdctl not found: neither $0 nor etcdctl on PATH" >&2; exit 127; }; fi',
  'export ETCDCTL_API=3',
  'exec 3>&1',
  'st=$("$b" "$@" endpoint status & health "$ca" "$cert" "$key" "$ep" >&3; wait)',
  `echo '${MARKER}'`,
  'printf "%s\\n" "$st"',
].join('\n');

/** The paths under inventory `paths.etcd` (bin/etcdctl, ssl/ca.pem, ssl/healthcheck-client{,-key}.pem). */
export function etcdctlPaths(inv: Inventory): EtcdctlPaths {
  const root = inv.paths.etcd.replace(/\/+$/, '');
  return {
    bin: `${root}/bin/etcdctl`,
    cacert: `${root}/ssl/ca.pem`,
    cert: `${root}/ssl/healthcheck-client.pem`,
    key: `${root}/ssl/healthcheck-client-key.pem`,
    httpHealth: usesHttpHealth(inv.cluster.etcdVersion),
  };
}

/** The member's client URL as etcd advertises it (render/views/etcd.ts). */
export function etcdEndpoint(internalIP: string): string {
  return `https://${internalIP.includes(':') ? `[${internalIP}]` : internalIP}:2379`;
}

/** argv of the one remote command (sh -c SCRIPT) that prints health JSON, MARKER, status JSON. */
export function etcdProbeArgv(paths: EtcdctlPaths, endpoint: string): readonly string[] {
  const http = paths.httpHealth === true ? [paths.cacert, paths.cert, paths.key, endpoint] : [];
  return [
    'sh', '-c', paths.httpHealth === true ? HTTP_SCRIPT : SCRIPT, paths.bin, paths.bin, ...http,
    `--endpoints=${endpoint}`, `--cacert=${paths.cacert}`, `--cert=${paths.cert}`, `--key=${paths.key}`,
    '--dial-timeout=3s', '--command-timeout=5s', '-w', 'json',
  ];
}

interface HealthJson {
  readonly endpoint?: string;
  readonly health?: boolean;
  readonly took?: string;
  readonly error?: string;
}

interface StatusJson {
  readonly Endpoint?: string;
  readonly Status?: {
    readonly header?: { readonly member_id?: string };
    readonly version?: string;
    readonly dbSize?: number;
    readonly leader?: string;
    readonly raftTerm?: number;
  };
}

/**
 * Parses etcdctl's JSON, keeping uint64 ids exact: member_id/leader/cluster_id exceed 2^53, so they
 * are quoted before JSON.parse instead of being rounded to the nearest double.
 */
export function parseEtcdJson<T>(text: string): readonly T[] {
  const start = text.search(/[[{]/);
  if (start < 0) return [];
  try {
    const v = JSON.parse(text.slice(start).replace(/"(member_id|leader|cluster_id)":(\d+)/g, '"$1":"$2"')) as unknown;
    return (Array.isArray(v) ? v : [v]) as T[];
  } catch {
    return [];
  }
}

const hex = (decimal: string | undefined): string | undefined => (decimal === undefined ? undefined : BigInt(decimal).toString(16));

/** SSH errors start with the host name; the row already names it. */
const withoutHost = (text: string, host: string): string => (text.startsWith(`${host}: `) ? text.slice(host.length + 2) : text);

/** The first meaningful line of stderr, for an error cell. */
function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('{')) ?? '';
}

/** Builds a member row from the command's output (pure; exit code ignored on purpose, see SCRIPT). */
export function etcdMemberRow(host: string, endpoint: string, stdout: string, stderr: string): EtcdMemberRow {
  const cut = stdout.indexOf(MARKER);
  const healthText = cut < 0 ? stdout : stdout.slice(0, cut);
  const statusText = cut < 0 ? '' : stdout.slice(cut + MARKER.length);
  const h: HealthJson | undefined = isHttpHealthOutput(healthText) ? parseHttpHealth(healthText)[0] : parseEtcdJson<HealthJson>(healthText)[0];
  const s = parseEtcdJson<StatusJson>(statusText)[0]?.Status;
  const memberId = hex(s?.header?.member_id);
  const leaderId = hex(s?.leader);
  const error = (h?.error || undefined) ?? (h === undefined || s === undefined ? firstLine(stderr) || 'etcdctl printed no answer' : undefined);
  return {
    host,
    endpoint,
    healthy: h?.health === true && s !== undefined,
    ...(h?.took === undefined ? {} : { took: h.took }),
    ...(memberId === undefined ? {} : { memberId }),
    ...(leaderId === undefined ? {} : { leaderId }),
    ...(memberId === undefined || leaderId === undefined ? {} : { isLeader: memberId === leaderId }),
    ...(s?.version === undefined ? {} : { version: s.version }),
    ...(s?.dbSize === undefined ? {} : { dbSizeBytes: s.dbSize }),
    ...(s?.raftTerm === undefined ? {} : { raftTerm: s.raftTerm }),
    ...(error === undefined ? {} : { error }),
  };
}

/** Asks one member; an unreachable host or a failing command becomes an error row. */
export async function probeEtcdMember(t: EtcdTarget, paths: EtcdctlPaths, signal?: AbortSignal): Promise<EtcdMemberRow> {
  if (t.reader instanceof Error) return { host: t.host, endpoint: t.endpoint, healthy: false, error: withoutHost(firstLine(t.reader.message), t.host) };
  try {
    const r = await t.reader.probe(etcdProbeArgv(paths, t.endpoint), { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
    return etcdMemberRow(t.host, t.endpoint, r.stdout, r.stderr);
  } catch (err) {
    return { host: t.host, endpoint: t.endpoint, healthy: false, error: withoutHost(firstLine(err instanceof Error ? err.message : String(err)), t.host) };
  }
}

/** Every member at once, in the targets' order. */
export function collectEtcd(targets: readonly EtcdTarget[], paths: EtcdctlPaths, signal?: AbortSignal): Promise<readonly EtcdMemberRow[]> {
  return Promise.all(targets.map((t) => probeEtcdMember(t, paths, signal)));
}
