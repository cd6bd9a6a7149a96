/**
 * Connecting includes the first session: a connection is handed to the run only once a command
 * ran on it. sshd opens a connection's PAM session right after authentication and, with
 * pam_systemd, answers nothing until logind has started the user manager (user@UID.service;
 * channel-open.ts). That start is a one-time cost per boot (or per idle period), commonly a second,
 * but 30-90 s on a loaded host. So the first session gets its own deadline (90 s by default),
 * separate from the per-command ones; while it waits a progress line names the likely cause every
 * 15 s; when ssh2's keepalive drops the blocked connection ("No response from server") we connect
 * again, because the new connection's PAM session joins the same pending start. Nothing runs on
 * the host before this: the deploy lock and every later channel use a connection that answers.
 */
import type { InventoryHost } from '../../inventory/types.js';
import { Interrupted, SshError } from '../../shared/errors.js';
import { isConnectionLost, sessionStallHint, userManagerUnit } from './channel-open.js';
import { connectWithRetry, type RetryOptions } from './connect-retry.js';
import type { CommandResult } from './connection.js';
import type { Ssh2Connection } from './ssh2-connection.js';

/** Default budget of the first session: pam_systemd may wait 60-90 s for user@.service. */
export const SESSION_TIMEOUT_MS = 90_000;
/** A progress line this often while the first session has not opened. */
export const SESSION_PROGRESS_MS = 15_000;

/** Options of connectWithSession(). */
export interface SessionOptions extends RetryOptions {
  /** Budget for the first session, across reconnects. @default SESSION_TIMEOUT_MS */
  readonly sessionTimeoutMs?: number;
  /** Called every `progressEveryMs` while waiting, with a line for the operator. */
  readonly onWait?: (message: string) => void;
  /** @default SESSION_PROGRESS_MS */
  readonly progressEveryMs?: number;
}

/** Connects (connectWithRetry) and waits until a session opens on the connection. */
export async function connectWithSession(host: InventoryHost, opts: SessionOptions): Promise<Ssh2Connection> {
  const now = opts.now ?? Date.now;
  const started = now();
  const budget = opts.sessionTimeoutMs ?? SESSION_TIMEOUT_MS;
  const deadline = started + budget;
  const unit = userManagerUnit(host.ssh.user);
  const ticker = setInterval(() => {
    opts.onWait?.(`waiting for ${host.name} to open a session (pam_systemd starting ${unit}?) ${Math.round((now() - started) / 1000)} s`);
  }, opts.progressEveryMs ?? SESSION_PROGRESS_MS);
  ticker.unref();
  let dropped = 0;
  try {
    for (;;) {
      const conn = await connectWithRetry(host, opts);
      const outcome = await firstCommand(conn, Math.max(deadline - now(), 1_000), opts.signal);
      if (outcome.kind === 'ok' && outcome.result.exitCode === 0) return conn;
      const wasAlive = conn.alive;
      if (outcome.kind === 'ok') await conn.close();
      else conn.abandon(); // blocked or gone: no goodbye will be answered
      if (outcome.kind === 'ok') throw conn.failed('open a first session (`true` through the login shell)', outcome.result);
      if (outcome.kind === 'error' && (opts.signal?.aborted || outcome.error instanceof Interrupted)) throw outcome.error;
      // A channel error on a connection that died meanwhile ("Unable to exec" when keepalive
      // gave up just as sshd woke) is the same drop as "No response from server".
      if (outcome.kind === 'error' && wasAlive && !isConnectionLost(rootCause(outcome.error))) throw outcome.error;
      if (outcome.kind === 'error' && now() < deadline - 1_000) {
        dropped += 1; // keepalive dropped the blocked connection: connect again, same pending start
        continue;
      }
      throw new SshError(
        'E_SSH_CONNECT',
        host.name,
        `${host.ssh.user}@${host.address}: the connection was accepted, but no session opened within ${Math.round(budget / 1000)} s` +
          (dropped > 0 ? ` (sshd stopped answering; ${dropped} connection${dropped === 1 ? '' : 's'} dropped by keepalive)` : ''),
        { hint: sessionStallHint(host.name, host.ssh.user), ...(outcome.kind === 'error' ? { cause: outcome.error } : {}) },
      );
    }
  } finally {
    clearInterval(ticker);
  }
}

type Outcome = { kind: 'ok'; result: CommandResult } | { kind: 'error'; error: Error } | { kind: 'timeout' };

/** `true` on the connection, bounded as a whole (channel open included) by `ms`. */
function firstCommand(conn: Ssh2Connection, ms: number, signal: AbortSignal | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (o: Outcome): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(o);
    };
    const onAbort = (): void => done({ kind: 'error', error: new Interrupted(`${conn.name}: interrupted while waiting for a session`) });
    timer = setTimeout(() => done({ kind: 'timeout' }), ms);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    // The channel's own timeout only starts once it is open; the race above bounds the open too.
    conn.probe(['true'], { sudo: false, timeoutMs: ms, ...(signal ? { signal } : {}) }).then(
      (result) => done({ kind: 'ok', result }),
      (error: Error) => done({ kind: 'error', error }),
    );
  });
}

function rootCause(e: Error): Error {
  return e.cause instanceof Error ? e.cause : e;
}
