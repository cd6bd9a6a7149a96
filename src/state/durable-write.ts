/** The one way local state files are written: created with their final mode, flushed to disk. */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/**
 * Writes `content` to a new file with `mode` and fsyncs it, so a rename that follows publishes
 * complete bytes even after a crash. Callers write to a temp name and rename into place.
 */
export function writeDurable(path: string, content: string, mode: number): void {
  const fd = openSync(path, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a directory, so the renames and creations in it survive a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
