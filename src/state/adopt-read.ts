/**
 * Reads the certificate directories `pki adopt --from DIR` names, read-only and bounded: at most
 * ADOPT_MAX_DEPTH levels, ADOPT_MAX_ENTRIES entries per directory, files up to ADOPT_MAX_FILE_BYTES
 * (never more is read, whatever the size says). Symbolic links to files are followed (kubelets keep
 * kubelet-client-current.pem as one); links to directories are not, so a link loop cannot recur;
 * FIFOs, sockets and devices are never opened. Every file not read is reported with the reason.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ADOPT_MAX_DEPTH, ADOPT_MAX_ENTRIES, ADOPT_MAX_FILE_BYTES, type FoundFile } from '../pki/adopt-types.js';
import { UsageError } from '../shared/errors.js';

const MIB = (n: number): string => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 0)} MiB`;
const code = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);

/** Reads at most `max` + 1 bytes; more means the file grew past the limit. O_NONBLOCK: a FIFO swapped in cannot hang us. */
function readBounded(path: string, max: number): FoundFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { path, skipped: `cannot be read (${code(err)}); run as a user who can read it, or it stays out of the adoption`, problem: true };
  }
  try {
    if (!fstatSync(fd).isFile()) return { path, skipped: 'not a regular file, not read' };
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > max) return { path, skipped: `larger than ${MIB(max)}, not read (no certificate or key is that big)` };
    }
    return { path, bytes: new Uint8Array(buf.subarray(0, n)) };
  } catch (err) {
    return { path, skipped: `cannot be read (${code(err)})`, problem: true };
  } finally {
    closeSync(fd);
  }
}

function entry(path: string, depth: number, out: FoundFile[], budget: { left: number }): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return; // removed while we looked
  if (st.isDirectory()) {
    if (depth >= ADOPT_MAX_DEPTH) return void out.push({ path, skipped: `a directory more than ${ADOPT_MAX_DEPTH} levels down, not examined` });
    return walk(path, depth + 1, out, budget);
  }
  if (st.isSymbolicLink()) {
    let target;
    try {
      target = statSync(path);
    } catch (err) {
      return void out.push({ path, skipped: code(err) === 'ELOOP' ? 'a symbolic link loop, not followed' : `a symbolic link to nothing (${code(err)})` });
    }
    if (target.isDirectory()) return void out.push({ path, skipped: 'a symbolic link to a directory, not followed' });
    if (!target.isFile()) return void out.push({ path, skipped: 'a symbolic link to something that is not a regular file, not opened' });
    if (target.size > ADOPT_MAX_FILE_BYTES) return void out.push({ path, skipped: `larger than ${MIB(ADOPT_MAX_FILE_BYTES)} (${target.size} bytes), not read` });
    return void out.push(readBounded(path, ADOPT_MAX_FILE_BYTES));
  }
  if (!st.isFile()) return void out.push({ path, skipped: 'not a regular file (device, FIFO or socket), not opened' });
  if (st.size > ADOPT_MAX_FILE_BYTES) return void out.push({ path, skipped: `larger than ${MIB(ADOPT_MAX_FILE_BYTES)} (${st.size} bytes), not read` });
  out.push(readBounded(path, ADOPT_MAX_FILE_BYTES));
}

function walk(dir: string, depth: number, out: FoundFile[], budget: { left: number }): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    return void out.push({ path: dir, skipped: `directory cannot be listed (${code(err)})`, problem: true });
  }
  for (const name of names) {
    if (budget.left-- <= 0) return void out.push({ path: dir, skipped: `more than ${ADOPT_MAX_ENTRIES} entries under the --from directory; the rest was not examined` });
    entry(join(dir, name), depth, out, budget);
  }
}

/** Every file under the given directories (relative to `cwd`), each directory read once. */
export function readLocalDirs(dirs: readonly string[], cwd: string): FoundFile[] {
  const out: FoundFile[] = [];
  const seen = new Set<string>();
  for (const d of dirs) {
    const abs = resolve(cwd, d);
    let real: string;
    try {
      real = realpathSync(abs);
      if (!statSync(real).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (err) {
      throw new UsageError(`pki adopt --from ${d}: not a directory (${code(err)})`, { hint: 'name the directories that hold the certificates, e.g. --from /opt/kubernetes/ssl,/opt/etcd/ssl, or HOST:/opt/kubernetes/ssl to read them from an inventory host; nothing was written' });
    }
    if (seen.has(real)) continue;
    seen.add(real);
    walk(abs, 1, out, { left: ADOPT_MAX_ENTRIES });
  }
  return out;
}

/** What a state directory already holds (names, without the lock), read-only; [] when it does not exist. */
export function existingStateFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n !== '.lock').sort();
  } catch (err) {
    if (code(err) === 'ENOENT') return [];
    throw err;
  }
}
