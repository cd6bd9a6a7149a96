/**
 * stat() in one round trip: a small POSIX sh script prints "<index> <sha256> <mode> <owner> <size>"
 * for every argument that is an existing regular file (symlinks followed). Paths are passed as
 * arguments, never spliced into the script, and reported by index, so any byte in a name is safe.
 */
import type { RemoteFileStat } from './connection.js';
import { shArgv } from './quote.js';

const SCRIPT = `rc=0; i=0
for p in "$@"; do
  i=$((i+1))
  [ -f "$p" ] || continue
  m=$(stat -L -c '%a %U:%G %s' -- "$p") || { rc=1; continue; }
  h=$(sha256sum < "$p") || { rc=1; continue; }
  printf '%s %s %s\\n' "$i" "\${h%% *}" "$m"
done
exit $rc`;

/** argv for the stat script. */
export function statArgv(paths: readonly string[]): string[] {
  for (const p of paths) if (!p.startsWith('/')) throw new TypeError(`stat: remote paths must be absolute: ${p}`);
  return shArgv(SCRIPT, paths);
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
