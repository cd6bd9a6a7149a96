/**
 * The one round trip of `pki check --remote`: a POSIX sh script that prints, for every file asked
 * for, only its complete CERTIFICATE blocks (or, for a kubeconfig, only the two certificate fields),
 * and for every endpoint the certificate `openssl s_client` receives from it. Pure: builds argv,
 * parses the output; src/cli/remote-cert-probe.ts runs it.
 *
 * The script and why it is shaped as it is (one awk, handshakes at once, no key byte printed):
 * probe-sh.ts.
 *
 * Why the handshake runs on the host: one exec is one round trip, the host sees its own listeners
 * at the address each component binds (etcd and kube-apiserver may bind only the internal IP), and
 * s_client prints the server's certificate even when the handshake then fails because the server
 * requires a client certificate over TLS 1.2 (etcd's client-cert-auth), where Node's TLS client
 * through a forwarded channel would see only the failure. openssl is on every Debian/Ubuntu host
 * (ca-certificates depends on it) and in RHEL's base; without it the row says so.
 */
import { PROBE_SH } from './probe-sh.js';
import type { FileObservation, HostObservation, KubeconfigField, TlsObservation } from './types.js';

export { TLS_TIMEOUT_SECONDS } from './probe-sh.js';

/** What to read on one host. */
export interface ProbeRequest {
  /** Files whose CERTIFICATE blocks are wanted. */
  readonly certFiles: readonly string[];
  /** kubeconfigs whose certificate fields are wanted. */
  readonly kubeconfigs: readonly string[];
  /** "address:port" (IPv6 in brackets) to handshake with. */
  readonly endpoints: readonly string[];
}

/** The argument list of the request, in the order answers are numbered. */
function args(req: ProbeRequest): string[] {
  for (const p of [...req.certFiles, ...req.kubeconfigs]) if (!p.startsWith('/')) throw new TypeError(`pki check --remote: remote paths must be absolute: ${p}`);
  return [...req.certFiles.map((p) => `c${p}`), ...req.kubeconfigs.map((p) => `k${p}`), ...req.endpoints.map((e) => `t${e}`)];
}

/** argv for HostReader.probe: sh -c SCRIPT sh ARGS... */
export function probeArgv(req: ProbeRequest): string[] {
  return ['sh', '-c', PROBE_SH, 'sh', ...args(req)];
}

const FIELDS: ReadonlySet<string> = new Set<KubeconfigField>(['certificate-authority-data', 'client-certificate-data']);

/** Splits the PEM text into CERTIFICATE blocks (each "-----BEGIN ...-----\n...\n-----END ...-----\n"). */
export function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]*?-----END CERTIFICATE-----/g)].map((m) => `${m[0].replace(/\r/g, '')}\n`);
}

/**
 * Parses the script's stdout. Throws when the output stops before "@done" (the connection or the
 * script died half way): a partial answer must not read as "not deployed".
 */
export function parseProbe(stdout: string, req: ProbeRequest): HostObservation {
  const list = args(req);
  const files = new Map<string, FileObservation>();
  const tls = new Map<string, TlsObservation>();
  const lines = stdout.split('\n');
  if (!lines.includes('@done')) throw new Error('the certificate probe ended before its last line (output cut short)');
  let i = 0;
  while (i < lines.length) {
    const m = /^@([ft]) (\d+) (\S+)(?: (.*))?$/.exec(lines[i] ?? '');
    i++;
    if (!m) continue;
    const body: string[] = [];
    while (i < lines.length && !(lines[i] ?? '').startsWith('@')) body.push(lines[i++] ?? '');
    const arg = list[Number(m[2]) - 1];
    if (arg === undefined) continue;
    const [, kind, , state, rest = ''] = m;
    if (kind === 'f') files.set(arg.slice(1), fileObservation(state ?? '', rest, body, arg.startsWith('k')));
    else tls.set(arg.slice(1), tlsObservation(state ?? '', rest, body));
  }
  return { files, tls };
}

function fileObservation(state: string, rest: string, body: readonly string[], kubeconfig: boolean): FileObservation {
  if (state === 'missing') return { state: 'missing' };
  if (state !== 'ok') return { state: 'unreadable', reason: rest || 'unreadable' };
  if (!kubeconfig) return { state: 'ok', certs: pemBlocks(body.join('\n')), fields: new Map() };
  const fields = new Map<KubeconfigField, string>();
  for (const l of body) {
    const [k, v] = l.split(' ');
    if (k !== undefined && v !== undefined && FIELDS.has(k) && !fields.has(k as KubeconfigField)) fields.set(k as KubeconfigField, v);
  }
  return { state: 'ok', certs: [], fields };
}

function tlsObservation(state: string, rest: string, body: readonly string[]): TlsObservation {
  if (state === 'no-openssl') return { state: 'no-openssl' };
  const cert = state === 'ok' ? pemBlocks(body.join('\n'))[0] : undefined;
  return cert !== undefined ? { state: 'ok', cert } : { state: 'failed', reason: rest || 'no certificate presented' };
}
