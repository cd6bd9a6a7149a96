/**
 * etcd member health from `/livez` and `/readyz` (pure: the remote command and its parser), used
 * by `status` and by apply's etcd report for etcd 3.6+ (ETCD_RULES.livezReadyz in
 * src/render/flags-by-version.ts). /livez answers "does this member need a restart?" (a local
 * serializable read), /readyz "can it serve?" (no corruption alarm, serializable and linearizable
 * reads, not a learner): the Kubernetes-style probes kubeadm's etcd static Pod uses from 1.31 on.
 * etcdctl's `endpoint health` is one linearizable read, so it cannot tell the two apart.
 * Asked over the client URL with the healthcheck-client certificate, like etcdctl was: the
 * metrics listener (http://127.0.0.1:2381) would only reach the member on the same host.
 */
import { parseVersion } from '../shared/semver.js';
import { appliesTo, ETCD_RULES } from '../render/flags-by-version.js';

/** TLS material for the probes (the healthcheck-client pair and the etcd CA). */
export interface HttpHealthCredentials {
  readonly cacert: string;
  readonly cert: string;
  readonly key: string;
}

/** One member's answer, in the shape of etcdctl's `endpoint health -w json` rows. */
export interface HttpHealthRow {
  readonly endpoint: string;
  readonly health: boolean;
  /** Time /readyz took, as etcdctl prints durations ("2.1ms"). */
  readonly took?: string;
  readonly error?: string;
}

const SECTION = '--- kubesmith etcd';

/**
 * $1..$3 are CA, cert and key, then endpoints. Each probe prints a section line, the body (etcd
 * lists every check with ?verbose: "[+]serializable_read ok", "[-]linearizable_read failed: ...")
 * and "<HTTP code> <seconds>"; a refused connection shows as code 000 with curl's message. The
 * exit code only says the probes ran (127: no curl); health is in the output.
 */
const SCRIPT = [
  'ca="$1"; cert="$2"; key="$3"; shift 3',
  'command -v curl >/dev/null 2>&1 || { echo "curl not found: etcd 3.6+ health is read from /livez and /readyz with curl" >&2; exit 127; }',
  'for ep in "$@"; do for p in livez readyz; do',
  `  echo "${SECTION} $p $ep"`,
  '  curl -sS --connect-timeout 3 --max-time 5 --cacert "$ca" --cert "$cert" --key "$key" -w "\\n%{http_code} %{time_total}\\n" "$ep/$p?verbose" 2>&1',
  'done; done',
  'exit 0',
].join('\n');

/** True when the inventory's etcd release is probed through /livez and /readyz. */
export function usesHttpHealth(etcdVersion: string): boolean {
  const v = parseVersion(etcdVersion);
  return v !== undefined && appliesTo(ETCD_RULES.livezReadyz, v);
}

/** argv of the one remote command probing every endpoint. */
export function httpHealthArgv(c: HttpHealthCredentials, endpoints: readonly string[]): readonly string[] {
  return ['sh', '-c', SCRIPT, 'etcd-health', c.cacert, c.cert, c.key, ...endpoints];
}

/** The embeddable part for scripts that add more (status runs `endpoint status` beside it). */
export const HTTP_HEALTH_SCRIPT = SCRIPT;

interface Probe {
  readonly code: string;
  readonly seconds?: number;
  readonly body: readonly string[];
}

/** Splits the output into probes by endpoint and path. */
function probes(text: string): Map<string, Map<string, Probe>> {
  const out = new Map<string, Map<string, Probe>>();
  let current: { ep: string; path: string; lines: string[] } | undefined;
  const close = (): void => {
    if (!current) return;
    const lines = current.lines.filter((l) => l.trim() !== '');
    const last = /^(\d{3}) ([\d.]+)$/.exec(lines.at(-1)?.trim() ?? '');
    const probe: Probe = last ? { code: last[1] ?? '000', seconds: Number(last[2]), body: lines.slice(0, -1) } : { code: '000', body: lines };
    const byPath = out.get(current.ep) ?? new Map<string, Probe>();
    byPath.set(current.path, probe);
    out.set(current.ep, byPath);
  };
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${SECTION} (livez|readyz) (\\S+)$`).exec(line);
    if (m) {
      close();
      current = { ep: m[2] ?? '', path: m[1] ?? '', lines: [] };
    } else current?.lines.push(line);
  }
  close();
  return out;
}

/** Why a probe failed: the failed checks etcd names, else curl's message, else the HTTP code. */
function failure(path: string, p: Probe): string {
  const failed = p.body.filter((l) => l.startsWith('[-]')).map((l) => l.slice(3));
  if (failed.length > 0) return `${path}: ${failed.join('; ')}`;
  const said = p.body.find((l) => l.trim() !== '' && !l.startsWith('[+]'))?.trim();
  return `${path}: ${p.code === '000' ? said ?? 'no answer' : `HTTP ${p.code}${said && said !== 'ok' ? ` ${said}` : ''}`}`;
}

/** One row per endpoint that answered at all, healthy when /livez and /readyz both said 200. */
export function parseHttpHealth(text: string): readonly HttpHealthRow[] {
  return [...probes(text)].map(([endpoint, byPath]) => {
    const errors = ['livez', 'readyz'].flatMap((path) => {
      const p = byPath.get(path);
      if (!p) return [`${path}: not probed`];
      return p.code === '200' ? [] : [failure(path, p)];
    });
    const seconds = byPath.get('readyz')?.seconds;
    return {
      endpoint,
      health: errors.length === 0,
      ...(seconds === undefined ? {} : { took: `${Math.round(seconds * 10_000) / 10}ms` }),
      ...(errors.length === 0 ? {} : { error: errors.join('; ') }),
    };
  });
}

/** True when the output holds http health sections (status parses either kind). */
export function isHttpHealthOutput(text: string): boolean {
  return text.includes(`${SECTION} livez `) || text.includes(`${SECTION} readyz `);
}
