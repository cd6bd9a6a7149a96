/**
 * The one round trip of `pki check --remote`: a POSIX sh script that prints, for every file asked
 * for, only its complete CERTIFICATE blocks (or, for a kubeconfig, only the two certificate fields),
 * and for every endpoint the certificate `openssl s_client` receives from it. Pure: builds argv,
 * parses the output; src/cli/remote-cert-probe.ts runs it.
 *
 * Private keys never leave the host: the awk filters print a certificate block only once its END
 * line arrived with nothing but base64 in between (a key block, or a certificate block cut short
 * before a key as in kubelet-client-current.pem's cert+key file, is dropped), and a kubeconfig
 * line only when its key is exactly certificate-authority-data or client-certificate-data and its
 * value is base64 (client-key-data is never printed). Paths and endpoints are positional arguments,
 * never spliced into the script, and answers name them by index.
 *
 * The handshakes run at once, each into its own file of a private mktemp directory that the script
 * removes on exit (interleaved writes to one pipe could mix two certificates): a host's answer
 * takes as long as its slowest handshake, not their sum. Without a writable temp dir they run one
 * after the other.
 *
 * Why the handshake runs on the host: one exec is one round trip, the host sees its own listeners
 * at the address each component binds (etcd and kube-apiserver may bind only the internal IP), and
 * s_client prints the server's certificate even when the handshake then fails because the server
 * requires a client certificate over TLS 1.2 (etcd's client-cert-auth), where Node's TLS client
 * through a forwarded channel would see only the failure. openssl is on every Debian/Ubuntu host
 * (ca-certificates depends on it) and in RHEL's base; without it the row says so.
 */
import type { FileObservation, HostObservation, KubeconfigField, TlsObservation } from './types.js';

/** A handshake that hangs (a listener that accepts but never speaks TLS) is given up after this. */
export const TLS_TIMEOUT_SECONDS = 5;

/** What to read on one host. */
export interface ProbeRequest {
  /** Files whose CERTIFICATE blocks are wanted. */
  readonly certFiles: readonly string[];
  /** kubeconfigs whose certificate fields are wanted. */
  readonly kubeconfigs: readonly string[];
  /** "address:port" (IPv6 in brackets) to handshake with. */
  readonly endpoints: readonly string[];
}

// Complete certificate blocks only: a BEGIN of anything else, or a non-base64 line, drops the block.
const CERTS_AWK = `awk '{ sub(/\\r$/, "") }
/^-----BEGIN / { c = ($0 == "-----BEGIN CERTIFICATE-----"); b = ""; n = 0 }
c && !/^-----/ && !/^[A-Za-z0-9+\\/=]*$/ { c = 0; b = "" }
c { b = b $0 "\\n"; n++; if (n > 400) { c = 0; b = "" } }
c && $0 == "-----END CERTIFICATE-----" { printf "%s", b; c = 0; b = "" }'`;

// The two certificate fields of a kubeconfig, "field base64" per line; nothing else is printed.
const KUBECONFIG_AWK = `awk '{ sub(/\\r$/, "") }
/^[ \\t]*(certificate-authority-data|client-certificate-data):[ \\t]/ {
  k = $1; sub(/:$/, "", k); v = $2; gsub(/"/, "", v)
  if (v ~ /^[A-Za-z0-9+\\/=]+$/) print k, v
}'`;

const SCRIPT = `certs() { ${CERTS_AWK}; }
kcfg() { ${KUBECONFIG_AWK}; }
file() {
  if [ ! -e "$2" ]; then echo "@f $1 missing"; return; fi
  if [ ! -f "$2" ]; then echo "@f $1 unreadable not a regular file"; return; fi
  if ! [ -r "$2" ]; then echo "@f $1 unreadable permission denied"; return; fi
  echo "@f $1 ok"
  if [ "$3" = k ]; then kcfg < "$2"; else certs < "$2"; fi
}
tls() {
  if ! command -v openssl >/dev/null 2>&1; then echo "@t $1 no-openssl"; return; fi
  out=$(timeout ${TLS_TIMEOUT_SECONDS} openssl s_client -connect "$2" </dev/null 2>&1); rc=$?
  pem=$(printf '%s\\n' "$out" | certs)
  if [ -n "$pem" ]; then echo "@t $1 ok"; printf '%s\\n' "$pem"; return; fi
  if [ "$rc" = 124 ]; then echo "@t $1 failed no answer within ${TLS_TIMEOUT_SECONDS} s"; return; fi
  why=$(printf '%s\\n' "$out" | grep -m1 -iE 'refused|unreachable|errno|no peer certificate|alert|error' | cut -c1-200)
  echo "@t $1 failed \${why:-no certificate presented (openssl exit $rc)}"
}
tmp=$(mktemp -d 2>/dev/null) || tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
i=0
for a in "$@"; do
  i=$((i+1))
  case "$a" in
    c/*) file "$i" "\${a#c}" c ;;
    k/*) file "$i" "\${a#k}" k ;;
    t*) if [ -n "$tmp" ]; then tls "$i" "\${a#t}" > "$tmp/$i" & else tls "$i" "\${a#t}"; fi ;;
  esac
done
wait
if [ -n "$tmp" ]; then for o in "$tmp"/*; do [ ! -f "$o" ] || cat "$o"; done; fi
echo @done`;

/** The argument list of the request, in the order answers are numbered. */
function args(req: ProbeRequest): string[] {
  for (const p of [...req.certFiles, ...req.kubeconfigs]) if (!p.startsWith('/')) throw new TypeError(`pki check --remote: remote paths must be absolute: ${p}`);
  return [...req.certFiles.map((p) => `c${p}`), ...req.kubeconfigs.map((p) => `k${p}`), ...req.endpoints.map((e) => `t${e}`)];
}

/** argv for HostReader.probe: sh -c SCRIPT sh ARGS... */
export function probeArgv(req: ProbeRequest): string[] {
  return ['sh', '-c', SCRIPT, 'sh', ...args(req)];
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
