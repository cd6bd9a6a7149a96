/**
 * A lock file (`.lock`, holding the owner's pid) so two kubesmith processes never save into the same
 * state directory at once. A lock left by a process that no longer exists is stale and taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LockedError } from '../shared/errors.js';

const LOCK = '.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding `dir`'s lock, when that process is still running (and is not us). */
export function lockHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, LOCK), 'utf8'));
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

function lockedError(dir: string, pid: number): LockedError {
  return new LockedError(`${dir}: another kubesmith (pid ${pid}) is writing the PKI state`, {
    hint: 'wait for it to finish and run the command again',
  });
}

/** Throws LockedError when another live process holds `dir`'s lock. */
export function assertUnlocked(dir: string): void {
  const pid = lockHolder(dir);
  if (pid !== undefined) throw lockedError(dir, pid);
}

/** Runs `fn` holding `dir`'s lock (taking over a stale one); the lock is removed afterwards. */
export function withDirLock<T>(dir: string, fn: () => T): T {
  const path = join(dir, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = lockHolder(dir);
      if (pid !== undefined) throw lockedError(dir, pid);
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  try {
    return fn();
  } finally {
    rmSync(path, { force: true });
  }
}
