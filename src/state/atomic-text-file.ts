/**
 * Publishes a text file atomically for a reader that may look at any moment (node_exporter's
 * textfile collector scrapes its directory on every request): written and fsynced under a temp
 * name in the same directory, then renamed over the target, so a reader sees the old file or the
 * new one, never half of one. The temp name does not end in ".prom", so the collector skips it.
 */
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StateError } from '../shared/errors.js';
import { fsyncDir, writeDurable } from './durable-write.js';

/** Replaces `path` with `content` (mode 0644) atomically; a StateError names the file on failure. */
export function publishTextFile(path: string, content: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.kubesmith-tmp-${process.pid}`);
  try {
    writeDurable(tmp, content, 0o644);
    renameSync(tmp, path);
    fsyncDir(dir);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new StateError(`${path}: cannot write the metrics file (${code})`, {
      hint: code === 'ENOENT' ? `create the directory ${dir} first` : code === 'EACCES' ? `make ${dir} writable for this user` : 'check the path',
      cause: err,
    });
  }
}
