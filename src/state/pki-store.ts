/**
 * The PKI state directory, <inventory dir>/.kubesmith/<cluster>/pki/: directory 0700, keys and the
 * token 0600, certificates 0644. Reads refuse a group/world-accessible directory or key; a save is
 * atomic as a whole (pending files + fsync + commit marker + renames), so a crash never leaves half a
 * file, nor a new key beside its old certificate.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeDurable, fsyncDir } from './durable-write.js';
import { dirname, join } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { IDENTITY_FILE } from '../pki/identity.js';
import { ROTATION_FILE } from '../pki/rotation-record.js';
import type { PkiBackup } from '../pki/identity-plan.js';
import { STATE_FILES, type PkiState, type PkiWrite, type StoredPair } from '../pki/state-types.js';
import { KubesmithError, StateError } from '../shared/errors.js';
import { assertUnlocked, withDirLock } from './dir-lock.js';
import { stateDir } from './paths.js';

/** `<real inventory dir>/.kubesmith/<cluster>/pki` (see stateDir: symlinks resolved, ambiguity refused). */
export function pkiStateDir(inv: Inventory): string {
  return join(stateDir(inv), 'pki');
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
  if (names.some((n) => n === COMMIT_MARKER || n.endsWith('.pending'))) {
    assertUnlocked(dir); // a live save is not an interrupted one
    withDirLock(dir, () => recover(dir, readdirSync(dir))); // an earlier save was interrupted
    names = readdirSync(dir);
  }
  const read = (name: string): string | undefined => {
    if (!names.includes(name)) return undefined;
    const path = join(dir, name);
    if (name.endsWith('.key') || name === STATE_FILES.token || name === ROTATION_FILE) checkPrivate(path, 'private file');
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
  const identity = read(IDENTITY_FILE);
  const rotation = read(ROTATION_FILE);
  return {
    dir,
    pairs,
    serviceAccount: { ...(privatePem !== undefined ? { privatePem } : {}), ...(publicPem !== undefined ? { publicPem } : {}) },
    ...(token !== undefined ? { bootstrapTokenJson: token } : {}),
    ...(identity !== undefined ? { identityJson: identity } : {}),
    ...(rotation !== undefined ? { rotationJson: rotation } : {}),
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

const COMMIT_MARKER = '.commit';
const PENDING = (name: string): string => `.${name}.pending`;



/**
 * Finishes or discards an interrupted save. A save writes every file as `.<name>.pending`, then the
 * commit marker (listing them), then renames them into place, then removes the marker. With the
 * marker present the renames are rolled forward; without it the pending files are discarded. So a
 * certificate and its key always change together, even across a crash.
 */
function recover(dir: string, names: readonly string[]): void {
  if (names.includes(COMMIT_MARKER)) {
    for (const name of readFileSync(join(dir, COMMIT_MARKER), 'utf8').split('\n').filter((n) => n !== '')) {
      if (names.includes(PENDING(name))) renameSync(join(dir, PENDING(name)), join(dir, name));
    }
    fsyncDir(dir);
    rmSync(join(dir, COMMIT_MARKER));
  }
  for (const n of names) if (n.endsWith('.pending') && n.startsWith('.')) rmSync(join(dir, n), { force: true });
}

/**
 * A `--new-ca` backup: a new directory (0700, never an existing one) with every file 0600, synced
 * before the replacement is written, so the old CA survives even a crash in the middle of the save.
 */
function writeBackup(dir: string, backup: PkiBackup): void {
  const target = join(dir, backup.dir);
  mkdirPrivate(dirname(target));
  mkdirSync(target, { mode: 0o700 }); // EEXIST: never overwrite an earlier backup
  for (const f of backup.files) writeDurable(join(target, f.name), f.content, 0o600);
  fsyncDir(target);
  fsyncDir(dirname(target));
}

/**
 * Creates the dir (0700) if needed and writes every file, all-or-nothing across a crash (see
 * recover). A backup, when given, is complete on disk before the first file is replaced. `precondition`
 * sees the directory's entries under the lock and may throw (a KubesmithError) to write nothing.
 */
export function savePkiState(dir: string, writes: readonly PkiWrite[], backup?: PkiBackup, precondition?: (names: readonly string[]) => void): void {
  if (writes.length === 0) return;
  try {
    mkdirPrivate(dir);
    checkPrivate(dir, 'directory');
    withDirLock(dir, () => {
      precondition?.(readdirSync(dir).filter((n) => n !== '.lock')); // under the lock: `pki adopt` needs the dir still empty
      if (backup && backup.files.length > 0) writeBackup(dir, backup);
      recover(dir, readdirSync(dir));
      for (const w of writes) writeDurable(join(dir, PENDING(w.name)), w.content, w.secret ? 0o600 : 0o644);
      fsyncDir(dir);
      writeDurable(join(dir, COMMIT_MARKER), writes.map((w) => w.name).join('\n'), 0o600);
      fsyncDir(dir);
      for (const w of writes) renameSync(join(dir, PENDING(w.name)), join(dir, w.name));
      fsyncDir(dir);
      rmSync(join(dir, COMMIT_MARKER));
      fsyncDir(dir);
    });
  } catch (err) {
    if (err instanceof KubesmithError) throw err;
    throw new StateError(`${dir}: cannot write the PKI state (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: 'check free space and permissions; files already written are complete and the next run converges',
      cause: err,
    });
  }
}
