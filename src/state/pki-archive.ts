/**
 * Orphaned PKI state on disk: finding it (plan, pki generate, pki check list it) and archiving it
 * (`pki prune`). Archiving never deletes: each file is renamed into
 * <pki dir>/archive/<UTC time>/ (directories 0700, files 0600), one rename per file, so a crash
 * leaves every file either in place or archived, never half of one. Which files are orphans is
 * decided by the pure src/pki/orphans.ts; CAs, the service-account keys, the token and files
 * kubesmith does not recognise are never touched.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { checkOrphans, orphanCandidates, type CandidateContent, type Orphan } from '../pki/orphans.js';
import type { PkiCatalogue } from '../pki/profile-types.js';
import { STATE_FILES } from '../pki/state-types.js';
import { publicPemOf } from '../pki/x509-read.js';
import { KubesmithError, StateError } from '../shared/errors.js';
import { withDirLock } from './dir-lock.js';
import { writeDurable, fsyncDir } from './durable-write.js';

/** The archive directory inside the PKI state directory. */
export const ARCHIVE_DIR = 'archive';

/** What is orphaned in `dir` (a missing directory has nothing). Reads only. */
export function readPkiOrphans(catalogue: PkiCatalogue, inv: Inventory, dir: string): readonly Orphan[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StateError(`${dir}: cannot read the PKI state directory (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  const candidates = orphanCandidates(catalogue, inv, names);
  if (candidates.length === 0) return [];
  const contents = new Map<string, CandidateContent>(candidates.map((c) => [c.file, readCandidate(join(dir, c.file))]));
  const caCerts = new Map<string, string>();
  for (const p of catalogue.profiles.filter((x) => x.kind === 'ca')) {
    const pem = readText(join(dir, STATE_FILES.cert(p.id)));
    if (pem !== undefined) caCerts.set(p.id, pem);
  }
  return checkOrphans(candidates, contents, { caCerts, ...saPublic(dir) });
}

function readCandidate(path: string): CandidateContent {
  try {
    if (!lstatSync(path).isFile()) return { regularFile: false };
  } catch {
    return { regularFile: false };
  }
  const text = readText(path);
  return text === undefined ? { regularFile: true } : { regularFile: true, text };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** sa.pub, or the public half of sa.key when sa.pub is missing (so the SA key is always recognised). */
function saPublic(dir: string): { saPublicPem?: string } {
  const pub = readText(join(dir, STATE_FILES.saPub));
  if (pub !== undefined) return { saPublicPem: pub };
  const key = readText(join(dir, STATE_FILES.saKey));
  try {
    return key === undefined ? {} : { saPublicPem: publicPemOf(key) };
  } catch {
    return {};
  }
}

/** What archiveOrphans moved, and where. */
export interface ArchiveResult {
  readonly archiveDir: string;
  readonly archived: readonly Orphan[];
}

/**
 * Moves every orphan of `dir` into a new dated archive directory, holding the state directory's
 * lock (no `pki generate` can save meanwhile); the orphans are decided again under the lock. Throws
 * StateError, moving nothing, when any candidate is refused. Returns undefined when there is nothing.
 */
export function archiveOrphans(catalogue: PkiCatalogue, inv: Inventory, dir: string, now: Date, pick: ArchivePick = ALL): ArchiveResult | undefined {
  if (readPkiOrphans(catalogue, inv, dir).filter(pick.only).length === 0) return undefined; // nothing to do: not even the lock file
  try {
    return withDirLock(dir, () => moveOrphans(catalogue, inv, dir, now, pick));
  } catch (err) {
    if (err instanceof KubesmithError) throw err;
    throw new StateError(`${dir}: cannot archive the orphaned files (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: 'every file is either still in place or in the archive directory (see its ARCHIVED.txt); fix the cause and run `kubesmith pki prune` again',
      cause: err,
    });
  }
}

/** Which orphans a caller archives, and the command named in ARCHIVED.txt. */
export interface ArchivePick {
  readonly only: (o: Orphan) => boolean;
  readonly by: string;
}
const ALL: ArchivePick = { only: () => true, by: 'kubesmith pki prune' };

function moveOrphans(catalogue: PkiCatalogue, inv: Inventory, dir: string, now: Date, pick: ArchivePick): ArchiveResult | undefined {
  const orphans = readPkiOrphans(catalogue, inv, dir).filter(pick.only);
  if (orphans.length === 0) return undefined;
  const refused = orphans.filter((o) => o.refused !== undefined);
  if (refused.length > 0) {
    throw new StateError(`${dir}: ${refused.length} file${refused.length === 1 ? '' : 's'} named like kubesmith's orphaned certificates ${refused.length === 1 ? 'is' : 'are'} not what kubesmith wrote; nothing was archived`, {
      detail: refused.map((o) => `${o.file}: ${o.refused}`),
      hint: `kubesmith leaves them alone: if they are yours, move them out of ${dir} by hand, then run \`kubesmith pki prune\` again`,
    });
  }
  const archiveDir = newArchiveDir(dir, now);
  const record = orphans.map((o) => `${o.file}\t${o.reason}`).join('\n');
  // The record first: an archive directory always says where its files came from and why.
  writeDurable(join(archiveDir, 'ARCHIVED.txt'), `archived by ${pick.by} at ${now.toISOString()} from ${dir}\n${record}\n`, 0o600);
  for (const o of orphans) {
    renameSync(join(dir, o.file), join(archiveDir, o.file));
    chmodSync(join(archiveDir, o.file), 0o600);
  }
  fsyncDir(archiveDir);
  fsyncDir(dir);
  return { archiveDir, archived: orphans };
}

/** <dir>/archive/<UTC time>[-N], created 0700; refuses an archive path that is not a private directory. */
function newArchiveDir(dir: string, now: Date): string {
  const root = join(dir, ARCHIVE_DIR);
  try {
    mkdirSync(root, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(root);
  if (!st.isDirectory() || (st.mode & 0o077) !== 0) {
    throw new StateError(`${root}: not a private directory (a symlink, a file, or readable by others); nothing was archived`, {
      hint: `make ${root} a directory with mode 0700 (or move it away), then run \`kubesmith pki prune\` again`,
    });
  }
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(':', '-');
  for (let n = 1; ; n++) {
    const path = join(root, n === 1 ? stamp : `${stamp}-${n}`);
    try {
      mkdirSync(path, { mode: 0o700 });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

