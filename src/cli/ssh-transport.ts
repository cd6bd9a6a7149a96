/**
 * The runner's Transport over SSH: connections with retry until a deadline (connect-retry.ts),
 * host keys verified, and the deploy lock held on a dedicated channel (remote-lock.ts).
 */
import type { Transport } from '../deploy/runner.js';
import { connectWithRetry } from '../deploy/ssh/connect-retry.js';
import { acquireRemoteLock } from '../deploy/ssh/remote-lock.js';
import { Ssh2Connection } from '../deploy/ssh/ssh2-connection.js';
import { InternalError } from '../shared/errors.js';

/** A Transport reading SSH_AUTH_SOCK from `env`; `holder` names this run in lock messages. */
export function sshTransport(env: Readonly<Record<string, string | undefined>>, holder: string): Transport {
  return {
    // A host that is still booting refuses for a while; give up after twice its connect timeout.
    connect: (host, signal) => connectWithRetry(host, { signal, env, deadline: Date.now() + 2 * host.ssh.connectTimeoutSeconds * 1000 }),
    lock: async (conn) => {
      if (!(conn instanceof Ssh2Connection)) throw new InternalError(`${conn.name}: the SSH transport can only lock its own connections`);
      // The lock lives as long as its channel: release() ends it and waits for the holder to
      // exit, so the host is unlocked when apply returns (and sshd frees it if we die first).
      return acquireRemoteLock(conn, holder);
    },
  };
}
