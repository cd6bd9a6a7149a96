/**
 * The PKI state directory, <inventory dir>/.kubesmith/<cluster>/pki/: directory 0700, keys and the
 * token 0600, certificates 0644. Reads refuse a group/world-accessible directory or key; writes are
 * atomic (temp file + fsync + rename, then fsync of the directory), so a crash never leaves half a file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { STATE_FILES, type PkiState, type PkiWrite, type StoredPair } from '../pki/state-types.js';
import { StateError } from '../shared/errors.js';

/** `<inventory dir>/.kubesmith/<cluster>/pki`. */
export function pkiStateDir(inv: Inventory): string {
  return join(dirname(inv.source), '.kubesmith', inv.cluster.name, 'pki');
}

const octal = (m: number): string => `0${(m & 0o777).toString(8)}`;

function checkPrivate(path: string, what: string): void {
  const mode = statSync(path).mode;
  if ((mode & 0o077) !== 0) {
    throw new StateError(`${path}: ${what} is readable by group or others (mode ${octal(mode)})`, {
      hint: `run \`chmod ${what === 'directory' ? '700' : '600'} ${path}\` (and check who could have copied it); nothing was read or written`,
    });
  }
}

/** Reads the state dir; a missing dir is an empty state. Throws StateError on wrong permissions. */
export function loadPkiState(dir: string): PkiState {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dir, pairs: new Map(), serviceAccount: {} };
    throw new StateError(`${dir}: cannot read the PKI state directory (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  checkPrivate(dir, 'directory');
  const read = (name: string): string | undefined => {
    if (!names.includes(name)) return undefined;
    const path = join(dir, name);
    if (name.endsWith('.key') || name === STATE_FILES.token) checkPrivate(path, 'private file');
    return readFileSync(path, 'utf8');
  };
  const pairs = new Map<string, StoredPair>();
  for (const name of names) {
    const m = /^(.+)\.(crt|key)$/.exec(name);
    if (!m || name === STATE_FILES.saKey) continue;
    const id = m[1] as string;
    const prev = pairs.get(id) ?? {};
    const content = read(name);
    pairs.set(id, m[2] === 'crt' ? { ...prev, certPem: content! } : { ...prev, keyPem: content! });
  }
  const privatePem = read(STATE_FILES.saKey);
  const publicPem = read(STATE_FILES.saPub);
  const token = read(STATE_FILES.token);
  return {
    dir,
    pairs,
    serviceAccount: { ...(privatePem !== undefined ? { privatePem } : {}), ...(publicPem !== undefined ? { publicPem } : {}) },
    ...(token !== undefined ? { bootstrapTokenJson: token } : {}),
  };
}

function mkdirPrivate(dir: string): void {
  const parent = dirname(dir);
  try {
    statSync(parent);
  } catch {
    mkdirPrivate(parent);
  }
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Writes one file atomically with its final mode. */
function writeAtomic(dir: string, w: PkiWrite, seq: number): void {
  const final = join(dir, w.name);
  const tmp = join(dir, `.${w.name}.${process.pid}.${seq}.tmp`);
  const fd = openSync(tmp, 'wx', w.secret ? 0o600 : 0o644);
  try {
    writeSync(fd, w.content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, final);
}

/** Creates the dir (0700) if needed and writes every file atomically; keys before certificates. */
export function savePkiState(dir: string, writes: readonly PkiWrite[]): void {
  if (writes.length === 0) return;
  try {
    mkdirPrivate(join(dir, '..', '..'));
    mkdirPrivate(join(dir, '..'));
    mkdirPrivate(dir);
    checkPrivate(dir, 'directory');
    writes.forEach((w, i) => writeAtomic(dir, w, i));
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd); // make the renames durable
    } finally {
      closeSync(dfd);
    }
  } catch (err) {
    if (err instanceof StateError) throw err;
    throw new StateError(`${dir}: cannot write the PKI state (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: 'check free space and permissions; files already written are complete and the next run converges',
      cause: err,
    });
  }
}
