/**
 * OpenSSH known_hosts parsing and matching (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and
 * hashed (`|1|salt|hmac-sha1`) host patterns, `[host]:port` for non-22 ports, `*`/`?` wildcards
 * and `!` negation, and the `@revoked` / `@cert-authority` markers. Pure: the file is read elsewhere.
 */
import { createHash, createHmac } from 'node:crypto';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  readonly line: number;
  readonly marker: 'revoked' | 'cert-authority' | undefined;
  readonly patterns: string;
  readonly keyType: string;
  readonly key: Buffer;
}

/** How a presented host key compares to the file. */
export type HostKeyVerdict =
  | { readonly kind: 'known' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'revoked'; readonly entry: KnownHostEntry }
  | { readonly kind: 'changed'; readonly entry: KnownHostEntry }
  | { readonly kind: 'other-type'; readonly entries: readonly KnownHostEntry[] };

/** Parses a known_hosts file; malformed lines are skipped (OpenSSH ignores them too). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift();
      if (m !== '@revoked' && m !== '@cert-authority') return;
      marker = m === '@revoked' ? 'revoked' : 'cert-authority';
    }
    const [patterns, keyType, b64] = fields;
    if (patterns === undefined || keyType === undefined || b64 === undefined) return;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0 || blobType(key) !== keyType) return;
    out.push({ line: i + 1, marker, patterns, keyType, key });
  });
  return out;
}

/** The name a host is looked up under: `address`, or `[address]:port` when port is not 22. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** True when the entry's host patterns match `name` (a negated match wins). */
export function matchesHost(entry: KnownHostEntry, name: string): boolean {
  return hostMatcher(entry.patterns)(name);
}

/** A compiled form of a patterns field ("a,b,!c", "*.example.com", "|1|salt|hash"): one regular expression per wildcard, made once. */
function hostMatcher(patterns: string): (name: string) => boolean {
  if (patterns.startsWith('|1|')) return (name) => hashedMatches(patterns, name);
  const parts = patterns.split(',').map((p) => ({ negated: p.startsWith('!'), test: wildcard(p.startsWith('!') ? p.slice(1) : p) }));
  return (name) => {
    const lower = name.toLowerCase();
    let hit = false;
    for (const p of parts) {
      if (!p.test(lower)) continue;
      if (p.negated) return false;
      hit = true;
    }
    return hit;
  };
}

/**
 * The entries of one known_hosts file, looked up by host name. Plain host names (most lines, and
 * every line ssh-keyscan writes) are a map lookup; only hashed, wildcard and negated lines are
 * matched one by one. Checking each of N hosts against an N-host file by scanning every line
 * (with a regular expression built per pattern and call) was quadratic: 65 % of a 1,000-host
 * dry-run's CPU, three scans per host.
 */
export interface KnownHostsIndex {
  /** Entries whose patterns match `name`, in file order (remembered per name). */
  matching(name: string): readonly KnownHostEntry[];
  /** The first @revoked line holding this key (for any host, as judgeHostKey always checked). */
  revoked(blob: Buffer): KnownHostEntry | undefined;
  /** Takes in a line appended to the file (accept-new). */
  add(entry: KnownHostEntry): void;
  /** The last line number taken in. */
  readonly lines: number;
}

/** Indexes parsed entries (parseKnownHosts). */
export function indexKnownHosts(entries: readonly KnownHostEntry[]): KnownHostsIndex {
  const byName = new Map<string, KnownHostEntry[]>();
  const scanned: { entry: KnownHostEntry; test: (name: string) => boolean }[] = [];
  const revoked = new Map<string, KnownHostEntry>();
  const memo = new Map<string, readonly KnownHostEntry[]>();
  let lines = 0;
  const add = (e: KnownHostEntry): void => {
    memo.clear();
    lines = Math.max(lines, e.line);
    const k = e.key.toString('base64');
    if (e.marker === 'revoked' && !revoked.has(k)) revoked.set(k, e);
    const names = e.patterns.split(',');
    if (e.patterns.startsWith('|1|') || names.some((p) => /[*?!]/.test(p))) scanned.push({ entry: e, test: hostMatcher(e.patterns) });
    else for (const n of new Set(names.map((p) => p.toLowerCase()))) byName.set(n, [...(byName.get(n) ?? []), e]);
  };
  entries.forEach(add);
  return {
    matching(name) {
      const lower = name.toLowerCase();
      let found = memo.get(lower);
      if (found === undefined) {
        const plain = byName.get(lower) ?? [];
        const other = scanned.filter((x) => x.test(lower)).map((x) => x.entry);
        found = other.length === 0 ? plain : [...plain, ...other].sort((a, b) => a.line - b.line);
        memo.set(lower, found);
      }
      return found;
    },
    revoked: (blob) => revoked.get(blob.toString('base64')),
    add,
    get lines() {
      return lines;
    },
  };
}

const asIndex = (e: readonly KnownHostEntry[] | KnownHostsIndex): KnownHostsIndex => ('matching' in e ? e : indexKnownHosts(e));

/** Compares a presented key (the raw SSH wire blob) with the file's entries for `name`. */
export function judgeHostKey(entries: readonly KnownHostEntry[] | KnownHostsIndex, name: string, blob: Buffer): HostKeyVerdict {
  const index = asIndex(entries);
  const revoked = index.revoked(blob);
  if (revoked) return { kind: 'revoked', entry: revoked };
  const plain = index.matching(name).filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(blob))) return { kind: 'known' };
  const type = blobType(blob);
  const sameType = plain.find((e) => e.keyType === type);
  if (sameType) return { kind: 'changed', entry: sameType };
  return plain.length > 0 ? { kind: 'other-type', entries: plain } : { kind: 'unknown' };
}

/** Key types the file knows for `name`, in file order (to prefer them during key exchange). */
export function knownKeyTypes(entries: readonly KnownHostEntry[] | KnownHostsIndex, name: string): string[] {
  return [...new Set(asIndex(entries).matching(name).filter((e) => e.marker === undefined).map((e) => e.keyType))];
}

/** The algorithm name inside a public key blob ("ssh-ed25519", "ssh-rsa", ...). */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const n = blob.readUInt32BE(0);
  return n > 0 && 4 + n <= blob.length ? blob.subarray(4, 4 + n).toString('latin1') : '';
}

/** OpenSSH's fingerprint form: "SHA256:" + unpadded base64 of the blob's sha256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A known_hosts line for the key. */
export function knownHostsLine(name: string, blob: Buffer): string {
  return `${name} ${blobType(blob)} ${blob.toString('base64')}`;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (salt === undefined || hash === undefined) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name.toLowerCase()).digest('base64');
  return mac === hash;
}

function wildcard(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) {
    const lower = pattern.toLowerCase();
    return (name) => name === lower;
  }
  const re = new RegExp(`^${pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (name) => re.test(name);
}
