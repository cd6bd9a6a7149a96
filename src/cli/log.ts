/**
 * The JSON log of a run that touches hosts: <state>/logs/<timestamp>.log, one pino record per
 * DeployEvent (with its phase and host fields). Secrets never reach it: events carry no file
 * content by construction, pino's `redact` censors secret-looking keys, and every string is
 * scrubbed of the known secret values (the bootstrap token secret) before it is written.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { openLogFile } from './log-file.js';
import type { DeployEvent } from '../deploy/events.js';
import { KubesmithError } from '../shared/errors.js';

/** An open run log. */
export interface RunLog {
  readonly path: string;
  event(e: DeployEvent): void;
  error(err: unknown): void;
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  close(): void;
}

/** pino redact paths: keys that may hold key material or tokens. */
export const REDACT_PATHS = ['keyPem', 'privateKeyPem', 'privatePem', 'secret', 'token', 'content', ...['keyPem', 'privateKeyPem', 'privatePem', 'secret', 'token', 'content'].map((k) => `*.${k}`), 'bootstrapToken.secret'];

/** "2026-11-22T07-55-01-123Z": sortable and safe in file names. */
export function logFileStamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

/** Opens <stateDir>/logs/<stamp>.log (dir 0700, file 0600). */
export function openRunLog(stateDir: string, now: Date, secrets: readonly string[]): RunLog {
  const dir = join(stateDir, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${logFileStamp(now)}.log`);
  // A SIGKILLed apply still leaves every record written so far, but no-op steps (log-file.ts).
  let dryRun = false;
  let lazy = false;
  const dest = openLogFile(path, () => !lazy);
  const root: Logger = pino({ base: null, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
  // Step records hold a step's description, status and detail, never file content (events.ts):
  // pino's redaction over every one of them was 8 % of a 5,000-host dry-run. clean() still scrubs.
  const steps: Logger = pino({ base: null }, dest);
  const scrub = (s: string): string => secrets.filter((x) => x.length >= 6).reduce((acc, x) => acc.split(x).join('[redacted]'), s);
  const clean = (v: unknown): unknown =>
    typeof v === 'string' ? scrub(v) : Array.isArray(v) ? v.map(clean) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)])) : v;
  const errorFields = (err: unknown): Record<string, unknown> =>
    err instanceof KubesmithError
      ? { code: err.code, message: err.message, detail: err.detail, hint: err.hint }
      : err instanceof Error
        ? { message: err.message, stack: err.stack }
        : { message: String(err) };
  return {
    path,
    event(e) {
      // The event's own phase and host fields say where it happened. A child logger per event
      // wrote them twice in every record and cost a child's bindings per record (at 5,000 hosts,
      // 265,000 records a dry-run).
      const { type, ...rest } = e;
      const fields = e.type === 'host-failed' ? { ...rest, error: errorFields(e.error) } : rest;
      const level = e.type === 'host-failed' ? 'error' : e.type === 'warning' || (e.type === 'step' && e.status === 'warning') ? 'warn' : 'info';
      if (e.type === 'run-start') dryRun = e.dryRun;
      lazy = level === 'info' && (dryRun ? e.type !== 'run-done' : e.type === 'step' && (e.status === 'unchanged' || e.status === 'skipped'));
      (e.type === 'step' ? steps : root)[level](clean(fields) as Record<string, unknown>, type);
      lazy = false;
    },
    error(err) {
      root.error(clean({ error: errorFields(err) }) as Record<string, unknown>, 'run failed');
    },
    info(msg, fields = {}) {
      root.info(clean(fields) as Record<string, unknown>, scrub(msg));
    },
    close() {
      dest.end();
    },
  };
}

/**
 * Runs a run's phases with its log and reporter: a failure closes the reporter's live area and is
 * recorded before it is rethrown; the log is always closed and its path printed (apply, the etcd
 * commands and remove alike).
 */
export async function withRunLog<T>(log: RunLog, reporter: { finish(): void }, out: { write(s: string): unknown }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    reporter.finish();
    log.error(err);
    throw err;
  } finally {
    log.close();
    out.write(`log: ${log.path}\n`);
  }
}
