/**
 * The remote half of an atomic file write. Content arrives on stdin and lands in
 * "<target>.kubesmith-tmp-<random>" created under umask 077 (a key is never readable while being
 * written) and is written back to disk while it arrives. The host hashes it (see SCRIPT for when
 * that happens while it arrives) and compares the sha256 with the planned one; then chown, chmod,
 * fdatasync of that one file and `mv -f` over the target (rename(2) is atomic within a directory),
 * then the directory is synced and the digest cache entry recorded (digest-cache.ts). Any failure
 * removes the temp file: an interrupted upload ends as short input that fails the sha256 check, a
 * temp file that could not be fully written (disk full) fails cat's or tee's status. Stale temp
 * files of the same target (a run killed with SIGKILL on the host side) are removed first.
 */
import type { WriteMeta } from './connection.js';
import { DIGEST_CACHE, digestSh, type DigestCache } from './digest-cache.js';
import { shArgv } from './quote.js';

/** Exit code of the script when the content's sha256 does not match. */
export const SHA_MISMATCH_EXIT = 86;

// While the content arrives a background loop fdatasyncs the temp file every 0.25 s, so the disk
// writes as the network delivers and the final fdatasync waits for one last slice instead of the
// whole file (5 hosts x 336 MB: 6.4-7.4 s -> 6.0-6.2 s; without any fsync 5.1-5.7 s). It is
// killed after the copy, and ends by itself once the temp file is no regular file or the script
// ($$, the parent even in a subshell) is gone: a kill racing the subshell's start can be lost.
// It sleeps before its first check: it may run before the redirection has created the file.
// Where sleep takes whole seconds only, it ends at once and the final fdatasync does it all.
// With openssl the temp file is written by cat (128 KiB copies) and hashed afterwards from the
// page cache (~60 ms per 84 MB): measured faster than tee's 8 KiB copies (6.6-7.2 s vs 7.8-8.2 s
// for 5 hosts x 336 MB). With sha256sum (~250 MB/s) the hash runs while the content arrives:
// POSIX sh has no pipefail, so tee's own status comes back as a "stored" word on fd 3 into the
// same command substitution as the hash; no "stored" means the temp file is incomplete.
const HEAD = `set -eu
target=$1 tmp=$2 mode=$3 owner=$4 want=$5
dir=\${target%/*}
dir=\${dir:-/}
mkdir -p -- "$dir"
for f in "$target".kubesmith-tmp-*; do
  if [ -e "$f" ] && [ "$f" != "$tmp" ]; then rm -f -- "$f"; fi
done
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 129' HUP INT TERM PIPE
umask 077`;

/** Checks the received sha256 ($stored, $got), then owner, mode, fdatasync, rename and the directory's sync. */
const TAIL = `if [ -z "$stored" ]; then
  echo "could not store the content in $tmp" >&2
  exit 1
fi
if [ "$got" != "$want" ]; then
  echo "sha256 of the received content is $got, expected $want" >&2
  exit ${SHA_MISMATCH_EXIT}
fi
chown -- "$owner" "$tmp"
chmod -- "$mode" "$tmp"
sync -d -- "$tmp" 2>/dev/null || sync -- "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true`;

/**
 * A file the client holds in memory below the digest cache's size (configs, units, certificates,
 * keys: most writes of a first apply): hashed by sha256sum from the page cache, no write-back loop,
 * no hash-tool pick, no cache entry. Half the processes of SCRIPT; a new node writes ~20 of them.
 */
const SMALL_SCRIPT = `${HEAD}
stored= got=
if cat > "$tmp"; then stored=1; got=$(sha256sum < "$tmp"); got=\${got%% *}; fi
${TAIL}`;

const SCRIPT = (cache: DigestCache): string => `${HEAD}
${digestSh(cache)}
dpick
( while sleep 0.25 && [ -f "$tmp" ] && kill -0 $$ 2>/dev/null; do sync -d -- "$tmp" 2>/dev/null || exit 0; done ) </dev/null >/dev/null 2>&1 &
syncer=$!
if [ "$DHASH" = openssl ]; then
  if cat > "$tmp"; then res="stored $(dhash < "$tmp")"; else res=; fi
else
  res=$( { { if tee -- "$tmp"; then echo stored >&3; fi; } | dhash; } 3>&1 )
fi
kill "$syncer" 2>/dev/null || :
stored= got=
for w in $res; do
  case $w in stored) stored=1 ;; *[!0-9a-f]*) ;; *) if [ \${#w} -eq 64 ]; then got=$w; fi ;; esac
done
${TAIL}
if keys=$(dkeys "$target") && dbig "\${keys%% *}"; then drecord "$target" "$want" "$keys"; fi`;

const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/**
 * argv for the write script; validates the inputs that would otherwise fail remotely. `size`: the
 * content's length when the caller knows it; below the digest cache's size the small script runs.
 */
export function writeArgv(path: string, tmpSuffix: string, meta: WriteMeta, cache: DigestCache = DIGEST_CACHE, size?: number): string[] {
  if (!path.startsWith('/') || path.endsWith('/')) throw new TypeError(`writeFile: remote path must be an absolute file path: ${path}`);
  if (!Number.isInteger(meta.mode) || meta.mode < 0 || meta.mode > 0o7777) throw new TypeError(`writeFile ${path}: bad mode ${meta.mode}`);
  if (!OWNER.test(meta.owner)) throw new TypeError(`writeFile ${path}: bad owner ${JSON.stringify(meta.owner)} (want user:group)`);
  if (!/^[0-9a-f]{64}$/.test(meta.sha256)) throw new TypeError(`writeFile ${path}: sha256 must be 64 lowercase hex digits`);
  const mode = `0${meta.mode.toString(8).padStart(3, '0')}`;
  const small = size !== undefined && size < cache.minSize;
  return shArgv(small ? SMALL_SCRIPT : SCRIPT(cache), [path, `${path}.kubesmith-tmp-${tmpSuffix}`, mode, meta.owner, meta.sha256]);
}
