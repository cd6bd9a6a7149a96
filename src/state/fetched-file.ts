/**
 * The operator-side end of a fetch step (an etcd snapshot copied off a host): bytes arrive into a
 * temp file next to the destination (0600, created exclusively), are hashed while they are
 * written, and are synced to disk in the background as they arrive (as the remote write script
 * does, so the final fsync waits for one slice, not the whole file). commit() renames the temp
 * file over the destination only when its sha256 equals the one the host computed, then writes
 * `<to>.sha256` in sha256sum's format. A failed or interrupted copy leaves no file under the
 * final name; abort() removes the temp file.
 */
import { createHash } from 'node:crypto';
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, write, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { StateError } from '../shared/errors.js';

/** A file being received. */
export interface IncomingFile {
  /** Where the bytes go (respects backpressure: at most ~1 MiB is buffered). */
  readonly sink: Writable;
  /** Ends the sink, checks the sha256, renames into place and writes `<to>.sha256`. */
  commit(expectedSha256: string): Promise<{ readonly bytes: number; readonly sha256: string }>;
  /** Drops the temp file (after a failed transfer). */
  abort(): void;
}

/** Bytes written between two background fdatasyncs. */
const SYNC_EVERY = 16 << 20;

/** Starts receiving `to`; its directory is created (0700) when missing. */
export function receiveFile(to: string): IncomingFile {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  const tmp = `${to}.part-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  let unsynced = 0;
  let syncing: Promise<void> | undefined;
  let closed = false;
  const backgroundSync = (): void => {
    if (syncing || unsynced < SYNC_EVERY) return;
    unsynced = 0;
    syncing = new Promise<void>((res) => fdatasync(fd, () => res())).then(() => void (syncing = undefined));
  };
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      const writeAll = (off: number): void =>
        write(fd, chunk, off, chunk.length - off, null, (err, n) => {
          if (err) return cb(err);
          if (off + n < chunk.length) return writeAll(off + n);
          bytes += chunk.length;
          unsynced += chunk.length;
          backgroundSync();
          cb();
        });
      writeAll(0);
    },
  });
  const close = (): void => {
    if (closed) return;
    closed = true;
    closeSync(fd);
  };
  const abort = (): void => {
    sink.destroy();
    close();
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  };
  const commit = async (expected: string): Promise<{ bytes: number; sha256: string }> => {
    await new Promise<void>((res, rej) => {
      sink.once('error', rej);
      sink.end(() => res());
    });
    await syncing;
    const sha256 = hash.digest('hex');
    if (sha256 !== expected) {
      abort();
      throw new StateError(`${to}: the copy's sha256 ${sha256} differs from the host's ${expected}; nothing was kept`, {
        hint: 'the snapshot changed or was corrupted in transfer; run `kubesmith etcd snapshot` again',
      });
    }
    fsyncSync(fd);
    close();
    renameSync(tmp, to);
    publishSha(to, sha256);
    syncDir(dirname(to));
    return { bytes, sha256 };
  };
  return { sink, commit, abort };
}

/** Writes `<file>.sha256` ("<hex>  <name>", as `sha256sum -c` reads it) atomically, 0600. */
function publishSha(file: string, sha256: string): void {
  const tmp = `${file}.sha256.part-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${sha256}  ${basename(file)}\n`, { mode: 0o600, flag: 'wx' });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, `${file}.sha256`);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
