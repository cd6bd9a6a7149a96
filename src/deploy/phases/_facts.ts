/**
 * The gather-facts probe: one shell script, one round trip, sections marked "@name". The parser
 * is pure so it is table-tested with captured outputs.
 */
import type { HostFacts } from '../phase.js';
import { LB_EXECUTABLES } from '../../render/views/apiserver-lb.js';
import { certNotAfter } from '../../pki/x509-read.js';
import { readWithoutBlock } from './_etc-hosts.js';
import { RUNNABLE_FN, versionFlag } from './_units.js';

/** Kernel modules every node needs: overlay (containerd snapshots), br_netfilter (bridged pod traffic). */
export const BASE_MODULES = ['overlay', 'br_netfilter'] as const;
/** kube-proxy's ipvs mode (proxyMode ipvs, the classic guide's choice). */
export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'] as const;
/** kube-proxy's nftables mode (the default from v1.35). */
export const NFTABLES_MODULES = ['nf_tables'] as const;

/**
 * `kmods NAME...` prints the names that are loaded (/sys/module), available to modprobe (`modinfo
 * -n` names the file: <name>.ko[.xz|.zst]) or built in (a built-in module, e.g. nf_tables=y, has no
 * /sys/module entry without parameters; modules.builtin names it). One `modinfo` and one `grep`
 * for all names: asking per module (three processes each) was half of gather-facts' host CPU.
 */
export const MODULES_SH =
  'kmods() { b=/lib/modules/$(uname -r)/modules.builtin; p=; for m; do [ -d "/sys/module/$m" ] && echo "$m"; p="$p${p:+|}$m"; done; ' +
  "modinfo -n \"$@\" 2>/dev/null | sed -n 's|^.*/\\([^/]*\\)\\.ko[^/]*$|\\1|p'; grep -oEs \"/($p)\\.ko\" \"$b\" | sed 's|^/||; s|\\.ko$||'; true; }; kmods";

/** The probe script (POSIX sh; runs through sudo so `ss -p` can name processes). */
export const FACTS_SCRIPT = [
  'echo @os; cat /etc/os-release 2>/dev/null',
  'echo @arch; uname -m',
  'echo @systemd; [ -d /run/systemd/system ] && systemctl --version 2>/dev/null | head -n1',
  'echo @container; systemd-detect-virt -c 2>/dev/null',
  'echo @time; date +%s%3N',
  'echo @swap; tail -n +2 /proc/swaps 2>/dev/null',
  'echo @listen; ss -Hltnp 2>/dev/null',
  `echo @modules; ${MODULES_SH} ${[...BASE_MODULES, ...IPVS_MODULES, ...NFTABLES_MODULES].join(' ')}`,
  'echo @df; (df -Pk /opt 2>/dev/null || df -Pk /) | tail -n1',
  'echo @firewalld; systemctl is-active firewalld 2>/dev/null',
  'echo @selinux; command -v getenforce >/dev/null 2>&1 && getenforce',
  'echo @hostname; hostname',
  // cgroup2fs = v2; tmpfs = v1 or hybrid, which kubelets from v1.35 refuse (_node-checks.ts).
  'echo @cgroup; stat -fc %T /sys/fs/cgroup 2>/dev/null',
  'echo @kernel; uname -r',
  // kube-proxy's nftables mode runs the nft binary (1.0.1+ required).
  'echo @nft; nft --version 2>/dev/null',
  // Without kubesmith's own block: on a converged fleet that is every host, for every host.
  `echo @hosts; ${readWithoutBlock('/etc/hosts')}`,
  'echo @ifaces; ip -o addr show 2>/dev/null',
  `echo @osfiles; for f in ${Object.values(LB_EXECUTABLES).join(' ')}; do if [ -e "$f" ]; then echo "$f"; fi; done`,
  'true',
].join('\n');

/** Largest trust file read back (a CA certificate is 1-2 KB; a bundle of a few is still small). */
const PKI_FILE_MAX_BYTES = 65_536;
const FILE_MARK = '#kubesmith-file ';
/** A kubeconfig's client-certificate-data, still base64: decoded here, not on the host. */
const B64_MARK = '#kubesmith-b64 ';

// The first complete CERTIFICATE block of a file, nothing else: kubelet-client-current.pem holds
// the private key too, and a key never leaves the host (a block cut short is dropped, not printed).
/** An awk program printing the first complete CERTIFICATE block of its input and nothing else. */
export const FIRST_CERT_AWK = `awk '/^-----BEGIN / { c = ($0 == "-----BEGIN CERTIFICATE-----"); b = "" } c { b = b $0 "\\n" } c && $0 == "-----END CERTIFICATE-----" { printf "%s", b; exit }'`;

const quote = (p: string): string => `'${p.replaceAll("'", `'\\''`)}'`;

/**
 * `set --` to the paths that are regular files, then one awk over all of them: a process per file
 * (head, awk, sed, base64) was most of gather-facts' time on hosts where a fork costs ~10 ms.
 * POSIX awk only (mawk, gawk, busybox): no nextfile, so a file's remaining lines are skipped by flag.
 */
const eachFile = (paths: readonly string[], awk: string): string =>
  `set --; for f in ${paths.map(quote).join(' ')}; do [ -f "$f" ] && set -- "$@" "$f"; done; [ $# -gt 0 ] && awk '${awk}' "$@"`;

/** Each file: the mark, then its lines up to PKI_FILE_MAX_BYTES. */
const WHOLE_FILES_AWK = `FNR == 1 { print "${FILE_MARK}" FILENAME; n = 0 } { n += length($0) + 1; if (n <= ${PKI_FILE_MAX_BYTES}) print }`;

/** Each file: the mark, then its first complete CERTIFICATE block and nothing else (never a key). */
const FIRST_CERTS_AWK =
  `FNR == 1 { print "${FILE_MARK}" FILENAME; c = 0; done = 0; n = 0 } { n += length($0) + 1 } done || n > ${PKI_FILE_MAX_BYTES} { next } ` +
  '/^-----BEGIN / { c = ($0 == "-----BEGIN CERTIFICATE-----"); b = "" } c { b = b $0 "\\n" } c && $0 == "-----END CERTIFICATE-----" { printf "%s", b; done = 1; c = 0 }';

/** Each kubeconfig: the mark, then its first client-certificate-data value (base64 characters only; the key is another line). */
const CLIENT_CERT_DATA_AWK =
  `FNR == 1 { print "${B64_MARK}" FILENAME; got = 0 } got { next } /^[[:space:]]*client-certificate-data:/ { v = $0; sub(/^[[:space:]]*client-certificate-data:[[:space:]]*/, "", v); gsub(/["[:space:]]/, "", v); if (v ~ "^[A-Za-z0-9+/=]+$" && length(v) <= ${PKI_FILE_MAX_BYTES}) print v; got = 1 }`;

/**
 * FACTS_SCRIPT plus a section that reads back the CA certificates and sa.pub found at `pkiPaths`,
 * in the same round trip: preflight compares them with the state's (_identity-checks.ts), and one
 * with the first certificate of each `leafPaths` file and of each `kubeconfigPaths` client
 * certificate (deploy/expired-certs.ts watchedCerts), read before any phase writes. Paths are
 * single-quoted; they come from the catalogue, the plan and inventory `paths:`.
 */
export function factsScript(pkiPaths: readonly string[], leafPaths: readonly string[] = [], kubeconfigPaths: readonly string[] = [], unitBinaries: readonly string[] = []): string {
  const parts = [FACTS_SCRIPT];
  if (pkiPaths.length > 0) parts.push(`echo @pkifiles; ${eachFile(pkiPaths, WHOLE_FILES_AWK)}`);
  if (leafPaths.length + kubeconfigPaths.length > 0) parts.push(leafCertsSection(leafPaths, kubeconfigPaths));
  if (unitBinaries.length > 0) parts.push(runnableSection(unitBinaries));
  return parts.length === 1 ? FACTS_SCRIPT : `${parts.join('\n')}\ntrue`;
}

/**
 * The "@runnable" section: RUNNABLE_SH's answer for each unit binary, as "<exit code> <path>
 * <first line>" (running as pid N, or `--version`'s first line; nginx: -v). In the facts round
 * trip, the service phases need no round trip of their own to judge their binaries on a re-apply;
 * one the run writes is judged again after the write (stale-runnable.ts). RUNNABLE_FN in this shell
 * (test -ef is a builtin): a binary that runs costs no process; one that does not, its `--version`.
 */
function runnableSection(bins: readonly string[]): string {
  // A path with white space (never one kubesmith renders) is left to the service phase's own probe.
  const calls = [...new Set(bins)]
    .filter((b) => !/\s/.test(b))
    .map((b) => `b=${quote(b)}; if running "$b"; then echo "0 $b running as pid $pid"; else v=$(runnable "$b" ${versionFlag(b)}); c=$?; echo "$c $b $(printf '%s\\n' "$v" | head -n1)"; fi`);
  return ['echo @runnable', RUNNABLE_FN, ...calls].join('\n');
}

/** Parses "@runnable" lines: binary -> first line when it runs (exit 0), undefined when not. */
function runnableOf(lines: readonly string[] | undefined): Partial<HostFacts> {
  if (lines === undefined) return {};
  const runnable = new Map<string, string | undefined>();
  for (const l of lines) {
    const m = /^(\d+) (\S+) ?(.*)$/.exec(l);
    if (m?.[2]) runnable.set(m[2], m[1] === '0' ? (m[3] ?? '') : undefined);
  }
  return { runnable };
}

/** The "@leafcerts" section: the first certificate of each file (or kubeconfig client certificate) that exists, nothing else. */
function leafCertsSection(paths: readonly string[], kubeconfigs: readonly string[] = []): string {
  const files = paths.length === 0 ? '' : `; ${eachFile(paths, FIRST_CERTS_AWK)}`;
  const configs = kubeconfigs.length === 0 ? '' : `; ${eachFile(kubeconfigs, CLIENT_CERT_DATA_AWK)}`;
  return `echo @leafcerts${files}${configs}`;
}

/** A probe of its own (approve-kubelet-csrs re-reads the kubelet's certificates): the host's clock and the leaf certificates. */
export function leafCertsScript(paths: readonly string[]): string {
  return `echo @time; date +%s%3N\n${leafCertsSection(paths)}\ntrue`;
}

/** Parses leafCertsScript's output: the files whose certificate had expired by the host's clock (else `localNowMs`). */
export function parseLeafCerts(out: string, localNowMs: number): ReadonlyMap<string, Date> {
  const sec = sections(out);
  const remoteMs = Number((sec.get('time') ?? [])[0]);
  return expiredCertsOf(sec.get('leafcerts'), Number.isFinite(remoteMs) && remoteMs > 0 ? remoteMs : localNowMs).expiredCerts ?? new Map();
}

/**
 * Parses the script output. `localMidMs` is the local clock at the round trip's midpoint;
 * `notAfterOf` reads a certificate's end (gather-facts passes one that remembers, per plan, the
 * certificates every host holds alike).
 */
export function parseFacts(out: string, localMidMs: number, notAfterOf: (pem: string) => Date = certNotAfter): HostFacts {
  const sec = sections(out);
  const os = Object.fromEntries((sec.get('os') ?? []).map((l) => /^(\w+)="?([^"]*)"?$/.exec(l)).flatMap((m) => (m ? [[m[1], m[2]]] : [])));
  const remoteMs = Number((sec.get('time') ?? [])[0]);
  const listeners = new Map<number, string>();
  for (const l of sec.get('listen') ?? []) {
    const cols = l.trim().split(/\s+/);
    const port = Number(/:(\d+)$/.exec(cols[3] ?? '')?.[1]);
    if (Number.isInteger(port) && port > 0) listeners.set(port, /users:\(\("([^"]+)"/.exec(l)?.[1] ?? listeners.get(port) ?? '');
  }
  const df = (sec.get('df') ?? [])[0]?.trim().split(/\s+/);
  const container = (sec.get('container') ?? [])[0]?.trim();
  const selinux = (sec.get('selinux') ?? [])[0]?.trim();
  const systemd = (sec.get('systemd') ?? [])[0]?.trim();
  return {
    ...(os.ID ? { os: { id: os.ID, versionId: os.VERSION_ID ?? '', prettyName: os.PRETTY_NAME ?? os.ID } } : {}),
    ...first(sec, 'arch', (arch) => ({ arch })),
    ...(systemd ? { systemd: /systemd (\d+)/.exec(systemd)?.[1] ?? systemd } : {}),
    ...(container && container !== 'none' ? { container } : {}),
    ...(Number.isFinite(remoteMs) && remoteMs > 0 ? { clockSkewMs: remoteMs - localMidMs } : {}),
    swapActive: (sec.get('swap') ?? []).some((l) => l.trim() !== ''),
    listeners,
    modules: new Set((sec.get('modules') ?? []).map((l) => l.trim()).filter(Boolean)),
    ...(df?.[3] && /^\d+$/.test(df[3]) ? { diskFreeBytes: Number(df[3]) * 1024 } : {}),
    firewalldActive: (sec.get('firewalld') ?? [])[0]?.trim() === 'active',
    ...(selinux ? { selinux } : {}),
    ...first(sec, 'hostname', (hostname) => ({ hostname })),
    ...first(sec, 'cgroup', (cgroupFs) => ({ cgroupFs })),
    ...first(sec, 'kernel', (kernel) => ({ kernel })),
    ...first(sec, 'nft', (l) => { const m = /v(\d+\.\d+(?:\.\d+)?)/.exec(l); return m?.[1] ? { nftVersion: m[1] } : {}; }),
    etcHosts: (sec.get('hosts') ?? []).map((l) => `${l}\n`).join(''),
    ...interfacesOf(sec.get('ifaces') ?? []),
    osFiles: new Set((sec.get('osfiles') ?? []).map((l) => l.trim()).filter(Boolean)),
    ...pkiFilesOf(sec.get('pkifiles')),
    ...expiredCertsOf(sec.get('leafcerts'), Number.isFinite(remoteMs) && remoteMs > 0 ? remoteMs : localMidMs, notAfterOf),
    ...runnableOf(sec.get('runnable')),
  };
}

/**
 * The leaf certificates whose notAfter is not after `nowMs` (the host's clock: it is the one its
 * services judge expiry by). An unparsable file counts as not expired: it is replaced by the
 * certificates phase anyway, and only an expiry changes how units restart.
 */
function expiredCertsOf(lines: readonly string[] | undefined, nowMs: number, notAfterOf: (pem: string) => Date = certNotAfter): Pick<HostFacts, 'expiredCerts'> {
  const files = pkiFilesOf(lines, true).pkiFiles;
  if (files === undefined) return {};
  const expired = new Map<string, Date>();
  for (const [path, pem] of files) {
    try {
      const notAfter = notAfterOf(pem);
      if (notAfter.getTime() <= nowMs) expired.set(path, notAfter);
    } catch {
      // not a certificate: see above
    }
  }
  return { expiredCerts: expired };
}

/**
 * "#kubesmith-file <path>" followed by the file's text, per file found; with `decode`, also
 * "#kubesmith-b64 <path>" followed by a kubeconfig's base64 client certificate, kept as its
 * first CERTIFICATE block.
 */
function pkiFilesOf(lines: readonly string[] | undefined, decode = false): Pick<HostFacts, 'pkiFiles'> {
  if (lines === undefined) return {};
  const files = new Map<string, string>();
  const encoded = new Map<string, string>();
  let cur: Map<string, string> | undefined;
  let path = '';
  for (const l of lines) {
    const mark = l.startsWith(FILE_MARK) ? FILE_MARK : decode && l.startsWith(B64_MARK) ? B64_MARK : undefined;
    if (mark === undefined) {
      cur?.set(path, `${cur.get(path) ?? ''}${l}\n`);
      continue;
    }
    [cur, path] = [mark === FILE_MARK ? files : encoded, l.slice(mark.length)];
    cur.set(path, '');
  }
  for (const [p, b64] of encoded) {
    const block = /-----BEGIN CERTIFICATE-----\n[\s\S]*?\n-----END CERTIFICATE-----\n?/.exec(Buffer.from(b64.trim(), 'base64').toString('latin1').replace(/\r\n/g, '\n'))?.[0];
    if (block) files.set(p, block.endsWith('\n') ? block : `${block}\n`);
  }
  return { pkiFiles: files };
}

/** `ip -o addr` lines ("2: ens3    inet 10.0.0.5/24 brd ..."; "host0@if12" in containers) -> interface -> addresses. */
function interfacesOf(lines: readonly string[]): Pick<HostFacts, 'interfaces'> {
  const map = new Map<string, string[]>();
  for (const l of lines) {
    const m = /^\d+:\s+([^\s@]+)(?:@\S+)?\s+inet6?\s+([^/\s]+)/.exec(l);
    if (m?.[1] && m[2]) map.set(m[1], [...(map.get(m[1]) ?? []), m[2]]);
  }
  return map.size > 0 ? { interfaces: map } : {};
}

function sections(out: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of out.split('\n')) {
    const m = /^@(\w+)$/.exec(line);
    if (m?.[1]) map.set(m[1], (cur = []));
    else cur?.push(line);
  }
  for (const v of map.values()) while (v.length > 0 && v[v.length - 1] === '') v.pop();
  return map;
}

function first<T>(sec: Map<string, string[]>, name: string, f: (v: string) => T): T | Record<string, never> {
  const v = (sec.get(name) ?? [])[0]?.trim();
  return v ? f(v) : {};
}
