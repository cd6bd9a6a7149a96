/**
 * The operator machine's side of etcd backups: the backup directory (0700), listing and
 * retention removal (only names plan/etcd-backup-names.ts selected), the PKI state tar written
 * beside each snapshot (0600; optionally encrypted with openssl and an operator key file), and
 * the check `etcd restore` makes before touching a host: the snapshot's sha256 equals its
 * `.sha256` file (streamed, never read whole).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StateError, UsageError } from '../shared/errors.js';

/** Creates the backup directory (0700) if missing; refuses a path that is not a directory. */
export function ensureBackupDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out ${dir}: not a directory`, { hint: 'name a directory for the snapshots (created 0700 when missing)' });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** File names in the directory ([] when it does not exist). */
export function listBackupDir(dir: string): readonly string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Removes the named files of `dir` (names chosen by retentionVictims; never a path, never recursive). */
export function removeBackupFiles(dir: string, names: readonly string[]): void {
  for (const n of names) {
    if (n.includes('/') || n === '.' || n === '..') throw new StateError(`refusing to remove "${n}" from ${dir}: not a plain file name`);
    unlinkSync(join(dir, n));
  }
}

/**
 * Tars `<stateDir>/pki` into `dest` (0600, written to a temp name, synced, renamed). With a key
 * file, the tar is encrypted with `openssl enc -aes-256-cbc -pbkdf2` reading the key file as the
 * passphrase; the plain tar never lands under its final name.
 */
export function writePkiTar(stateDir: string, dest: string, keyFile?: string): void {
  const tmp = `${dest}.part-${randomBytes(4).toString('hex')}`;
  const old = process.umask(0o077);
  try {
    const tar = spawnSync('tar', ['-C', stateDir, '-cf', keyFile ? `${tmp}.tar` : tmp, 'pki'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new StateError(`tar of ${join(stateDir, 'pki')} failed: ${tar.stderr.trim() || `exit ${tar.status}`}`, { hint: 'the snapshot itself was kept; check the state directory is readable and `tar` is installed' });
    if (keyFile) {
      const enc = spawnSync('openssl', ['enc', '-aes-256-cbc', '-pbkdf2', '-iter', '200000', '-salt', '-in', `${tmp}.tar`, '-out', tmp, '-pass', `file:${keyFile}`], { encoding: 'utf8' });
      unlinkSync(`${tmp}.tar`);
      if (enc.status !== 0) throw new StateError(`openssl enc of the PKI tar failed: ${enc.stderr.trim() || `exit ${enc.status}`}`, { hint: `--encrypt-with ${keyFile} must be a readable file holding the passphrase; the snapshot itself was kept` });
    }
    chmodSync(tmp, 0o600);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, dest);
  } catch (err) {
    for (const f of [tmp, `${tmp}.tar`]) if (existsSync(f)) unlinkSync(f);
    throw err;
  } finally {
    process.umask(old);
  }
}

/** sha256 of a local file, streamed. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A snapshot that passed the local check: its digest and size. */
export interface VerifiedSnapshot {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Refuses a snapshot without a `.sha256` beside it (as `etcd snapshot` writes it) or whose
 * content does not match it.
 */
export async function verifySnapshotFile(path: string): Promise<VerifiedSnapshot> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`--from ${path}: no such file`, { hint: 'name a snapshot written by `kubesmith etcd snapshot` (…-rev<N>.db, with its .sha256 beside it)' });
  const shaFile = `${path}.sha256`;
  if (!existsSync(shaFile)) {
    throw new StateError(`${path}: no ${basename(shaFile)} beside it, so the snapshot cannot be verified; nothing was touched`, {
      hint: `restore only verified snapshots: take one with \`kubesmith etcd snapshot\`, or, for a snapshot you checked yourself, write "$(sha256sum ${basename(path)})" into ${shaFile} in ${dirname(path)}`,
    });
  }
  const want = /^([0-9a-f]{64})\b/.exec(readFileSync(shaFile, 'utf8').trim())?.[1];
  if (!want) throw new StateError(`${shaFile}: no sha256 digest in it; nothing was touched`, { hint: 'it should read "<64 hex digits>  <file name>", as sha256sum writes it' });
  const got = await sha256OfFile(path);
  if (got !== want) {
    throw new StateError(`${path}: sha256 ${got} does not match ${basename(shaFile)} (${want}); nothing was touched`, {
      hint: 'the file is damaged or not the snapshot the digest was written for; use another snapshot',
    });
  }
  return { path, sha256: got, size: statSync(path).size };
}
