/**
 * The run log's file. Every record is written at once (a SIGKILLed run leaves every record so
 * far), except those nothing depends on after a crash: steps that changed nothing, and everything
 * of a dry-run but warnings and failures. Those wait in memory and go out in one write at the end
 * of the event loop's turn, before the next record that is written at once, or once 64 KiB wait. A no-change
 * re-apply or a dry-run of 5,000 hosts logs about 265,000 step records; one write() each was
 * 14 % of its CPU.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** Pending characters written in one go at the latest. */
const BATCH_CHARS = 64 * 1024;

/** A pino destination with the write-at-once / write-soon choice made per record by `urgent()`. */
export interface LogFile {
  write(record: string): boolean;
  flushSync(): void;
  end(): void;
}

/** Opens (appends to, 0600) `path`; `urgent()` says whether the record being written must reach the file now. */
export function openLogFile(path: string, urgent: () => boolean): LogFile {
  const fd = openSync(path, 'a', 0o600);
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  let closed = false;
  const flushSync = (): void => {
    if (pending.length > 0 && !closed) writeSync(fd, pending.join(''));
    pending = [];
    size = 0;
  };
  return {
    write(record) {
      pending.push(record);
      size += record.length;
      // A run whose awaits all settle as microtasks never reaches setImmediate: bound the batch.
      if (urgent() || size >= BATCH_CHARS) flushSync();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flushSync();
        });
      }
      return true;
    },
    flushSync,
    end() {
      flushSync();
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}
