/**
 * The remote half of an atomic file write. Content arrives on stdin and lands in
 * "<target>.kubesmith-tmp-<random>" created under umask 077 (a key is never readable while being
 * written); the host computes its sha256 and compares it with the planned one; then chown, chmod,
 * fsync and `mv -f` over the target (rename(2) is atomic within a directory). Any failure removes
 * the temp file; an interrupted upload ends as a short temp file that fails the sha256 check.
 * Stale temp files of the same target (a killed earlier run) are removed first.
 */
import type { WriteMeta } from './connection.js';
import { shArgv } from './quote.js';

/** Exit code of the script when the content's sha256 does not match. */
export const SHA_MISMATCH_EXIT = 86;

const SCRIPT = `set -eu
target=$1 tmp=$2 mode=$3 owner=$4 want=$5
dir=$(dirname -- "$target")
mkdir -p -- "$dir"
for f in "$target".kubesmith-tmp-*; do
  if [ -e "$f" ] && [ "$f" != "$tmp" ]; then rm -f -- "$f"; fi
done
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 129' HUP INT TERM PIPE
umask 077
cat > "$tmp"
got=$(sha256sum < "$tmp")
got=\${got%% *}
if [ "$got" != "$want" ]; then
  echo "sha256 of the received content is $got, expected $want" >&2
  exit ${SHA_MISMATCH_EXIT}
fi
chown -- "$owner" "$tmp"
chmod -- "$mode" "$tmp"
sync -- "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true`;

const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/** argv for the write script; validates the inputs that would otherwise fail remotely. */
export function writeArgv(path: string, tmpSuffix: string, meta: WriteMeta): string[] {
  if (!path.startsWith('/') || path.endsWith('/')) throw new TypeError(`writeFile: remote path must be an absolute file path: ${path}`);
  if (!Number.isInteger(meta.mode) || meta.mode < 0 || meta.mode > 0o7777) throw new TypeError(`writeFile ${path}: bad mode ${meta.mode}`);
  if (!OWNER.test(meta.owner)) throw new TypeError(`writeFile ${path}: bad owner ${JSON.stringify(meta.owner)} (want user:group)`);
  if (!/^[0-9a-f]{64}$/.test(meta.sha256)) throw new TypeError(`writeFile ${path}: sha256 must be 64 lowercase hex digits`);
  const mode = `0${meta.mode.toString(8).padStart(3, '0')}`;
  return shArgv(SCRIPT, [path, `${path}.kubesmith-tmp-${tmpSuffix}`, mode, meta.owner, meta.sha256]);
}
