/**
 * stat() in one round trip: a small POSIX sh script prints "<index> <sha256> <mode> <owner> <size>"
 * for every argument that is an existing regular file (symlinks followed). Paths are passed as
 * arguments, never spliced into the script, and reported by index, so any byte in a name is safe.
 * The sha256 comes from the host's digest cache when size, device, inode, mtime and ctime all
 * match its entry (digest-cache.ts), else the file is hashed; with `record` a fresh hash is
 * stored in the cache (apply only: a dry-run writes nothing, not even a cache entry).
 */
import type { RemoteFileStat } from './connection.js';
import { DIGEST_CACHE, digestSh, type DigestCache } from './digest-cache.js';
import { shArgv } from './quote.js';

// Small files cost two forks (stat, sha256sum) as before the cache; binaries look up the cache.
const SCRIPT = (record: boolean, cache: DigestCache): string => `${digestSh(cache)}
one() {
  st=$(stat -L -c '%a %U:%G %s %d %i %.9Y %.9Z' -- "$1") || return 1
  path=$1 idx=$2
  set -- $st
  keys="$3 $4 $5 $6 $7"
  if ! dbig "$3"; then
    h=$(sha256sum < "$path") || return 1
    h=\${h%% *}
  elif ! h=$(dlookup "$path" "$keys"); then
    [ -n "\${DHASH-}" ] || dpick
    h=$(dhash < "$path") || return 1
    h=\${h%% *}
    ${record ? '[ "$(dkeys "$path")" = "$keys" ] && drecord "$path" "$h" "$keys"' : ':'}
  fi
  printf '%s %s %s %s %s\\n' "$idx" "$h" "$1" "$2" "$3"
}
rc=0; i=0
for p in "$@"; do
  i=$((i+1))
  [ -f "$p" ] || continue
  one "$p" "$i" || rc=1
done
exit $rc`;

/** argv for the stat script; `record` stores fresh hashes of binaries in the digest cache. */
export function statArgv(paths: readonly string[], record = false, cache: DigestCache = DIGEST_CACHE): string[] {
  for (const p of paths) if (!p.startsWith('/')) throw new TypeError(`stat: remote paths must be absolute: ${p}`);
  return shArgv(SCRIPT(record, cache), paths);
}

/** Parses the script's output into path -> stat. */
export function parseStat(stdout: string, paths: readonly string[]): Map<string, RemoteFileStat> {
  const out = new Map<string, RemoteFileStat>();
  for (const line of stdout.split('\n')) {
    const m = /^(\d+) ([0-9a-f]{64}) ([0-7]+) (\S+) (\d+)$/.exec(line);
    if (!m) continue;
    const path = paths[Number(m[1]) - 1];
    if (path === undefined) continue;
    out.set(path, { sha256: m[2]!, mode: parseInt(m[3]!, 8), owner: m[4]!, size: Number(m[5]) });
  }
  return out;
}
