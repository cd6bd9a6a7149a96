/**
 * The record of an `etcd restore` in progress: `<state dir>/etcd-restore.json` holds the snapshot's
 * sha256, the new cluster token and the time it first started. A rerun of an interrupted restore
 * from the same snapshot reuses them, so every member ends up with the same cluster token and the
 * members already restored are not restored again; a restore that finished is marked done, and the
 * next one gets a new token. Written atomically (0600).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** One restore. */
export interface RestoreSession {
  readonly sha256: string;
  readonly token: string;
  readonly stamp: string;
  readonly done: boolean;
}

const FILE = 'etcd-restore.json';

/** The unfinished restore of this snapshot, if one was interrupted. */
export function unfinishedRestore(stateDir: string, sha256: string): RestoreSession | undefined {
  const path = join(stateDir, FILE);
  if (!existsSync(path)) return undefined;
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as RestoreSession;
    return s.done === false && s.sha256 === sha256 && typeof s.token === 'string' && typeof s.stamp === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Records the session (before the first host is touched, and once more as done). */
export function saveRestoreSession(stateDir: string, s: RestoreSession): void {
  const path = join(stateDir, FILE);
  const tmp = `${path}.part-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}
