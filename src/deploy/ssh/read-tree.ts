/**
 * Reads certificate directories on a host for `pki adopt --from HOST:/DIR`, in one read-only round
 * trip (find, stat, base64; nothing is written, not even a temp file). The same bounds as the local
 * reader (src/state/adopt-read.ts): ADOPT_MAX_DEPTH levels, files up to ADOPT_MAX_FILE_BYTES, links
 * to directories and link loops not followed, special files never opened, and the whole answer cut
 * at MAX_OUTPUT so a huge tree cannot fill memory. Paths travel base64-encoded, so any byte in a
 * name is safe, and directories are script arguments, never spliced into the script.
 */
import { ADOPT_MAX_DEPTH, ADOPT_MAX_ENTRIES, ADOPT_MAX_FILE_BYTES, type FoundFile } from '../../pki/adopt-types.js';
import { RemoteCommandError } from '../../shared/errors.js';
import type { HostReader } from './connection.js';
import { shArgv } from './quote.js';

/** The whole answer is cut here (base64 of many 1 MiB files); a cut answer is reported, not parsed half. */
const MAX_OUTPUT = 16 * 1024 * 1024;

// Per file: S(kipped) <dir#> <b64 path> <why> [size] | P(roblem) ... | F(ile) <dir#> <b64 path> <b64 content>.
const PER_FILE = `max=$1 i=$2; shift 2
for f; do
  n=$(printf '%s' "$f" | base64 | tr -d '\\n')
  if [ -L "$f" ] && [ ! -e "$f" ]; then echo "S $i $n broken"; continue; fi
  if [ -d "$f" ]; then echo "S $i $n dirlink"; continue; fi
  if [ ! -f "$f" ]; then echo "S $i $n special"; continue; fi
  if [ ! -r "$f" ]; then echo "P $i $n unreadable"; continue; fi
  s=$(stat -L -c %s -- "$f") || { echo "P $i $n unreadable"; continue; }
  if [ "$s" -gt "$max" ]; then echo "S $i $n big $s"; continue; fi
  c=$(head -c "$max" -- "$f" | base64 | tr -d '\\n')
  echo "F $i $n $c"
done`;

const SCRIPT = `max=$1 depth=$2 limit=$3 out=$4; shift 4
{
  i=0
  for d in "$@"; do
    i=$((i+1))
    if [ ! -d "$d" ]; then echo "R $i missing"; continue; fi
    echo "R $i ok"
    find -P "$d" -mindepth 1 -maxdepth "$depth" ! -type d 2>/dev/null | head -n "$limit" | tr '\\n' '\\0' | xargs -0 -r sh -c '${PER_FILE.replaceAll("'", `'\\''`)}' sh "$max" "$i"
  done
  echo "E"
} | head -c "$out"`;

/** argv of the read-only script for these absolute directories. */
export function readTreeArgv(dirs: readonly string[]): string[] {
  for (const d of dirs) if (!d.startsWith('/')) throw new TypeError(`read-tree: remote directories must be absolute: ${d}`);
  return shArgv(SCRIPT, [String(ADOPT_MAX_FILE_BYTES), String(ADOPT_MAX_DEPTH), String(ADOPT_MAX_ENTRIES), String(MAX_OUTPUT), ...dirs]);
}

const SKIP_REASONS: Readonly<Record<string, string>> = {
  broken: 'a symbolic link to nothing, or a link loop, not followed',
  dirlink: 'a symbolic link to a directory, not followed',
  special: 'not a regular file (device, FIFO or socket), not opened',
  unreadable: 'cannot be read on the host (the SSH user, or sudo, lacks permission)',
};

/** The script's answer as files named `host:/path`; directories that do not exist are returned apart. */
export function parseReadTree(host: string, dirs: readonly string[], stdout: string): { files: FoundFile[]; missing: string[]; truncated: boolean } {
  const files: FoundFile[] = [];
  const missing: string[] = [];
  const lines = stdout.split('\n');
  const truncated = !lines.includes('E');
  const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');
  lines.forEach((line, n) => {
    if (truncated && n === lines.length - 1) return; // the line the cut went through
    const [kind, idx, a, b, c] = line.split(' ');
    if (kind === 'R' && a === 'missing') missing.push(dirs[Number(idx) - 1] ?? `#${idx}`);
    if (kind !== 'S' && kind !== 'P' && kind !== 'F') return;
    const path = `${host}:${b64(a)}`;
    if (kind === 'F') files.push({ path, bytes: new Uint8Array(Buffer.from(b ?? '', 'base64')) });
    else if (b === 'big') files.push({ path, skipped: `larger than ${ADOPT_MAX_FILE_BYTES / 1024 / 1024} MiB (${c} bytes), not read (no certificate or key is that big)` });
    else files.push({ path, skipped: SKIP_REASONS[b ?? ''] ?? `not read (${b})`, ...(kind === 'P' ? { problem: true as const } : {}) });
  });
  return { files: files.sort((x, y) => x.path.localeCompare(y.path)), missing, truncated };
}

/** Runs the script through `reader` (read-only: a probe) and parses it; a failed run names the host. */
export async function readRemoteTree(reader: HostReader, dirs: readonly string[], signal?: AbortSignal): Promise<ReturnType<typeof parseReadTree>> {
  const r = await reader.probe(readTreeArgv(dirs), signal ? { signal } : {});
  // Never quote stdout in an error: it carries private keys.
  if (r.exitCode !== 0) throw new RemoteCommandError(reader.name, `read ${dirs.join(', ')}`, r.exitCode, r.stderr, { hint: 'the host needs find, xargs, stat, head and base64 (coreutils/findutils); with a non-root SSH user, password-less sudo' });
  return parseReadTree(reader.name, dirs, r.stdout);
}
