/**
 * The shell side of the certificate probe (probe-script.ts builds its argv and parses its output).
 *
 * Few processes, because on a busy host each fork costs tens of milliseconds: the shell tests each
 * file with builtins, starts one `openssl s_client` per endpoint at once (each into its own file of
 * a private mktemp directory, removed on exit), waits, then ONE awk reads every file and every
 * handshake's output and prints the answers. A file per process and a pipeline per handshake took
 * 1.4-5 s on a loaded test host; this is one awk plus the handshakes.
 *
 * Private keys never leave the host: a certificate block is printed only once its END line came
 * with nothing but base64 before it since its BEGIN (a key block, or a certificate block cut short
 * before a key, as in kubelet-client-current.pem's cert+key file, is dropped); a kubeconfig line
 * only when its key is exactly certificate-authority-data or client-certificate-data and its value
 * is base64 (client-key-data is never printed). Paths and endpoints arrive as positional arguments
 * and reach awk as ARGV (never as program text); answers name them by index.
 */

/** A handshake that hangs (a listener that accepts but never speaks TLS) is given up after this. */
export const TLS_TIMEOUT_SECONDS = 5;

// Everything happens in BEGIN over ARGV triples (mode, index, path), so awk never opens ARGV itself.
// Modes: c = certificate file, k = kubeconfig, t = handshake output (exit status in PATH.rc),
// tN = handshake output on stdin ("-"; mawk crashes closing "/dev/stdin") with exit status N (no temp dir).
// s_client verifies nothing here (the report checks signers itself), so it skips loading the
// system CA store: half of its start-up time (OpenSSL 1.1.0+; an older one says "unknown option").
const AWK = `
function certs(f,  line, c, b, n, out) {
  out = ""; why = ""
  while ((getline line < f) > 0) {
    sub(/\\r$/, "", line)
    if (why == "" && tolower(line) ~ /refused|unreachable|errno|no peer certificate|alert|error|unknown option/) why = substr(line, 1, 200)
    if (tolower(line) ~ /connection refused/) why = "connection refused (nothing listens there)"
    if (line ~ /^-----BEGIN /) { c = (line == "-----BEGIN CERTIFICATE-----"); b = ""; n = 0 }
    if (c && line !~ /^-----/ && line !~ /^[A-Za-z0-9+\\/=]*$/) { c = 0; b = "" }
    if (c) { b = b line "\\n"; n++; if (n > 400) { c = 0; b = "" } }
    if (c && line == "-----END CERTIFICATE-----") { out = out b; c = 0; b = "" }
  }
  close(f)
  return out
}
function kcfg(f,  line, w, k, v) {
  while ((getline line < f) > 0) {
    sub(/\\r$/, "", line)
    if (line !~ /^[ \\t]*(certificate-authority-data|client-certificate-data):[ \\t]/) continue
    split(line, w, " "); k = w[1]; sub(/:$/, "", k); v = w[2]; gsub(/"/, "", v)
    if (v ~ /^[A-Za-z0-9+\\/=]+$/) print k, v
  }
  close(f)
}
function tls(i, f, rc,  out) {
  if (rc == "") { if ((getline rc < (f ".rc")) <= 0) rc = "?"; close(f ".rc") }
  out = certs(f)
  if (out != "") { print "@t " i " ok"; printf "%s", out }
  else if (rc == 124) print "@t " i " failed no answer within ${TLS_TIMEOUT_SECONDS} s"
  else print "@t " i " failed " (why != "" ? why : "no certificate presented (openssl exit " rc ")")
}
BEGIN {
  for (a = 1; a + 2 < ARGC; a += 3) {
    m = ARGV[a]; i = ARGV[a + 1]; f = ARGV[a + 2]
    if (m == "c") { print "@f " i " ok"; printf "%s", certs(f) }
    else if (m == "k") { print "@f " i " ok"; kcfg(f) }
    else tls(i, f, substr(m, 2))
  }
  exit
}`;

/** The script: sh -c SCRIPT sh c/PATH... k/PATH... tADDR:PORT... */
export const PROBE_SH = `prog='${AWK}'
tmp=$(mktemp -d 2>/dev/null) || tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
ssl=; command -v openssl >/dev/null 2>&1 && ssl=1
n=$#; i=0
for a in "$@"; do
  i=$((i+1))
  case "$a" in
    [ck]/*)
      p=\${a#?}
      if [ ! -e "$p" ]; then echo "@f $i missing"
      elif [ ! -f "$p" ]; then echo "@f $i unreadable not a regular file"
      elif [ ! -r "$p" ]; then echo "@f $i unreadable permission denied"
      else set -- "$@" "\${a%%/*}" "$i" "$p"; fi ;;
    t*)
      if [ -z "$ssl" ]; then echo "@t $i no-openssl"
      elif [ -n "$tmp" ]; then
        (timeout ${TLS_TIMEOUT_SECONDS} openssl s_client -no-CAfile -no-CApath -connect "\${a#t}" </dev/null >"$tmp/$i" 2>&1; echo $? >"$tmp/$i.rc") &
        set -- "$@" t "$i" "$tmp/$i"
      else
        out=$(timeout ${TLS_TIMEOUT_SECONDS} openssl s_client -no-CAfile -no-CApath -connect "\${a#t}" </dev/null 2>&1); rc=$?
        printf '%s\\n' "$out" | awk "$prog" "t$rc" "$i" -
      fi ;;
  esac
done
shift "$n"
wait
[ "$#" -eq 0 ] || awk "$prog" "$@"
echo @done`;
