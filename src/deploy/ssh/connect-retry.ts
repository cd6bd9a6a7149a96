/**
 * Connecting with retries until a deadline: a host that is still booting or whose sshd is
 * restarting refuses or times out for a while. Only E_SSH_CONNECT is retried; an auth failure
 * or a host-key problem will not fix itself and is thrown at once.
 */
import type { InventoryHost } from '../../inventory/types.js';
import { Interrupted, SshError } from '../../shared/errors.js';
import { type ConnectOptions, Ssh2Connection } from './ssh2-connection.js';

/** Options of connectWithRetry(). */
export interface RetryOptions extends ConnectOptions {
  /** Give up after this time (epoch ms). */
  readonly deadline: number;
  /** Called before each wait (for progress output). */
  readonly onRetry?: (attempt: number, error: SshError, waitMs: number) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Connects, retrying retryable failures with backoff (0.25 s doubling to 5 s) until the deadline. */
export async function connectWithRetry(host: InventoryHost, opts: RetryOptions): Promise<Ssh2Connection> {
  const now = opts.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    try {
      return await Ssh2Connection.connect(host, opts);
    } catch (e) {
      if (!(e instanceof SshError) || !e.retryable) throw e;
      const wait = Math.min(250 * 2 ** (attempt - 1), 5_000);
      if (now() + wait >= opts.deadline) {
        throw new SshError('E_SSH_CONNECT', host.name, `gave up after ${attempt} attempt(s): ${e.message.replace(`${host.name}: `, '')}`, {
          ...(e.hint ? { hint: e.hint } : {}),
          cause: e,
        });
      }
      opts.onRetry?.(attempt, e, wait);
      await delay(wait, opts.signal, host.name);
    }
  }
}

function delay(ms: number, signal: AbortSignal | undefined, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Interrupted(`${host}: interrupted while waiting to reconnect`));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
