/**
 * SSH logins started while apply still computes the PKI and the plan. A login is mostly waiting
 * for the host (key exchange, then pam_systemd opening the session: ~0.3 s on the test hosts), and
 * the PKI, templates, plan and bundle check take as long again on this machine, one after the
 * other before; now the two overlap. The runner's connect phase is unchanged: it asks the
 * transport for each host and gets the login already under way (its failures, retries and
 * "waiting" notices included, replayed to the runner's listener). With `lock` (apply, not a
 * dry-run) the run's lock is taken on each host as soon as its login is done, and the runner's
 * lock phase gets it the same way (0.08 s of every re-apply before). Nothing but the first
 * session's no-op command and the lock (a flock on /run/lock/kubesmith.lock, released with the
 * connection) runs on a host before the runner takes over, so no host's configuration is changed
 * before the PKI is saved; logins the run does not take (an error before the phases, --limit) are closed.
 */
import type { InventoryHost } from '../inventory/types.js';
import type { HostConnection } from '../deploy/ssh/connection.js';
import type { HostLock, Transport, WaitNotice } from '../deploy/runner.js';

/**
 * "Waiting" notices of a call begun before the runner asked for its result: kept until the runner
 * attaches its listener, then replayed to it, and later ones passed straight on.
 */
function noticeBuffer(): { readonly notify: WaitNotice; attach(onWait: WaitNotice | undefined): void } {
  const kept: string[] = [];
  let listener: WaitNotice | undefined;
  return {
    notify: (m) => (listener ? listener(m) : void kept.push(m)),
    attach: (onWait) => {
      if (!onWait) return;
      for (const m of kept.splice(0)) onWait(m);
      listener = onWait;
    },
  };
}

interface Early {
  readonly conn: Promise<HostConnection>;
  /** Stops a login the run did not take (it may still be retrying an unreachable host). */
  readonly stop: AbortController;
  readonly notices: ReturnType<typeof noticeBuffer>;
  taken: boolean;
}

/** A lock taken right after an early login, until the runner's lock phase asks for it. */
interface EarlyLock {
  readonly lock: Promise<HostLock>;
  readonly notices: ReturnType<typeof noticeBuffer>;
}

/** `transport` with logins to `hosts` begun now; `discard()` closes the ones the run did not take. */
export function earlyConnect(transport: Transport, hosts: readonly InventoryHost[], signal: AbortSignal, opts: { readonly lock?: boolean } = {}): Transport & { discard(): Promise<void> } {
  const early = new Map<string, Early>();
  const locks = new Map<HostConnection, EarlyLock>();
  const lockEarly = (conn: HostConnection): void => {
    const notices = noticeBuffer();
    const lock = transport.lock(conn, signal, notices.notify);
    lock.catch(() => undefined); // the runner's lock phase gets the failure
    locks.set(conn, { lock, notices });
  };
  for (const host of hosts) {
    const notices = noticeBuffer();
    const stop = new AbortController();
    const conn = transport.connect(host, AbortSignal.any([signal, stop.signal]), notices.notify);
    // Handled here so a failure before the runner asks is not an unhandled rejection; the runner gets it.
    conn.catch(() => undefined);
    if (opts.lock === true) conn.then(lockEarly, () => undefined);
    early.set(host.name, { conn, stop, notices, taken: false });
  }
  return {
    connect: (host, s, onWait) => {
      const e = early.get(host.name);
      if (!e || e.taken) return transport.connect(host, s, onWait);
      e.taken = true;
      e.notices.attach(onWait);
      return e.conn;
    },
    lock: (conn, s, onWait) => {
      const l = locks.get(conn);
      if (!l) return transport.lock(conn, s, onWait);
      locks.delete(conn);
      l.notices.attach(onWait);
      return l.lock;
    },
    discard: async () => {
      const left = [...early.values()].filter((e) => !e.taken);
      for (const e of left) (e.taken = true), e.stop.abort();
      await Promise.allSettled(left.map(async (e) => (await e.conn).close()));
    },
  };
}
