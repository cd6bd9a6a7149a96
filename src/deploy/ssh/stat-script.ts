/**
 * stat() in one round trip: a small POSIX sh script prints "<index> <sha256> <mode> <owner> <size>"
 * for every argument that is an existing regular file (symlinks followed). Paths are passed as
 * arguments, never spliced into the script (`eval` only ever sees our own integers, to index the
 * arguments), and reported by index, so any byte in a name is safe. The sha256 comes from the
 * host's digest cache when size, device, inode, mtime and ctime all match its entry
 * (digest-cache.ts), else the file is hashed; with `record` a fresh hash is stored in the cache
 * (apply only: a dry-run writes nothing, not even a cache entry).
 *
 * Every phase of a no-change re-apply stats all its files, so the usual case costs a fixed number
 * of processes instead of two to four per file (a 13-binary stat took about 0.4 s of host CPU):
 * one `stat` for all files, one `sha256sum` for all small ones, and cache entries (named by the
 * client: sha256 of the path, as `dentry` names them) read with the shell's own `read`. Hashing a
 * binary (a cache miss) and every surprise (a file gone between the test and `stat`, a name that
 * `sha256sum` prints on two lines) go file by file (`one`), as before.
 */
import { createHash } from 'node:crypto';
import type { RemoteFileStat } from './connection.js';
import { DIGEST_CACHE, digestSh, type DigestCache } from './digest-cache.js';
import { shArgv } from './quote.js';

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
    bighash "$path" "$keys" || return 1
  fi
  printf '%s %s %s %s %s\\n' "$idx" "$h" "$1" "$2" "$3"
}
bighash() {
  [ -n "\${DHASH-}" ] || dpick
  h=$(dhash < "$1") || return 1
  h=\${h%% *}
  ${record ? '[ "$(dkeys "$1")" = "$2" ] && drecord "$1" "$h" "$2"' : ':'}
  return 0
}
pop() { k=\${rest%% *}; case $rest in *' '*) rest=\${rest#* } ;; *) rest= ;; esac; }
N=$1; shift
rc=0 keep= k=1
while [ "$k" -le "$N" ]; do
  eval "p=\\\${$k}"
  [ -f "$p" ] && keep="\${keep:+$keep }$k"
  k=$((k+1))
done
[ -n "$keep" ] || exit 0
list=; for k in $keep; do list="$list \\"\\\${$k}\\""; done
eval "st=\\$(stat -L -c '%a %U:%G %s %d %i %.9Y %.9Z' -- $list 2>/dev/null)" || st=
rest=$keep small= big= ok=1
[ -n "$st" ] || ok=
while [ -n "$ok" ] && read -r m o z d i y c; do
  [ -n "$rest" ] && [ -n "$c" ] || { ok=; break; }
  pop
  eval "M$k=\\$m O$k=\\$o Z$k=\\$z K$k=\\"\\$z \\$d \\$i \\$y \\$c\\""
  if dbig "$z"; then big="\${big:+$big }$k"; else small="\${small:+$small }$k"; fi
done <<STAT
$st
STAT
if [ -z "$ok" ] || [ -n "$rest" ]; then
  for k in $keep; do eval "p=\\\${$k}"; one "$p" "$k" || rc=1; done
  exit $rc
fi
if [ -n "$small" ]; then
  list=; for k in $small; do list="$list \\"\\\${$k}\\""; done
  eval "sums=\\$(sha256sum -- $list 2>/dev/null)" || sums=
  rest=$small
  while read -r h x; do
    [ -n "$rest" ] || { rest=x; break; }
    pop
    h=\${h#\\\\}
    case $h in *[!0-9a-f]*) rest=x; break ;; esac
    [ \${#h} -eq 64 ] || { rest=x; break; }
    eval "H$k=\\$h"
  done <<SUMS
$sums
SUMS
  if [ -n "$rest" ]; then
    for k in $small; do eval "p=\\\${$k}"; h=$(sha256sum < "$p") && h=\${h%% *} || h=; eval "H$k=\\$h"; done
  fi
fi
for k in $big; do
  eval "p=\\\${$k} e=\\\${$((N+k))} keys=\\$K$k"
  h=
  case $keys in *.?????????\\ *.?????????)
    if [ -f "$DIGESTS/$e" ] && IFS= read -r line < "$DIGESTS/$e"; then
      case $line in "$keys "*) h=\${line#"$keys "} ;; esac
    fi ;;
  esac
  case $h in *[!0-9a-f]*) h= ;; esac
  [ \${#h} -eq 64 ] || h=
  [ -n "$h" ] || bighash "$p" "$keys" || h=
  eval "H$k=\\$h"
done
for k in $keep; do
  eval "h=\\$H$k m=\\$M$k o=\\$O$k z=\\$Z$k"
  if [ -n "$h" ]; then printf '%s %s %s %s %s\\n' "$k" "$h" "$m" "$o" "$z"; else rc=1; fi
done
exit $rc`;

/** sha256 hex of a remote path: the name of its digest cache entry (digest-cache.ts `dentry`). */
function entryName(path: string): string {
  return createHash('sha256').update(path, 'utf8').digest('hex');
}

/** argv for the stat script: N, the N paths, their N cache entry names; `record` stores fresh hashes of binaries. */
export function statArgv(paths: readonly string[], record = false, cache: DigestCache = DIGEST_CACHE): string[] {
  for (const p of paths) if (!p.startsWith('/')) throw new TypeError(`stat: remote paths must be absolute: ${p}`);
  return shArgv(SCRIPT(record, cache), [String(paths.length), ...paths, ...paths.map(entryName)]);
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
