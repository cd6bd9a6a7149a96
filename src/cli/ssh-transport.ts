/**
 * The runner's Transport over SSH: connections with retry until a deadline (connect-retry.ts) that
 * are handed over only once a first session opened on them (first-session.ts: sshd may wait for
 * pam_systemd to start the user manager), host keys verified, and the deploy lock held on a
 * dedicated channel (remote-lock.ts). One KnownHostsFiles for all its connections: each
 * known_hosts file is read once per run.
 */
import type { Transport } from '../deploy/runner.js';
import { connectWithSession, SESSION_TIMEOUT_MS } from '../deploy/ssh/first-session.js';
import { KnownHostsFiles } from '../deploy/ssh/known-hosts-files.js';
import { acquireRemoteLock } from '../deploy/ssh/remote-lock.js';
import { Ssh2Connection } from '../deploy/ssh/ssh2-connection.js';
import { InternalError, UsageError } from '../shared/errors.js';

/** Environment variable overriding the first-session budget, in seconds. */
export const SESSION_TIMEOUT_ENV = 'KUBESMITH_SSH_SESSION_TIMEOUT';

/** A Transport reading SSH_AUTH_SOCK from `env`; `holder` names this run in lock messages. */
export function sshTransport(env: Readonly<Record<string, string | undefined>>, holder: string, knownHosts = new KnownHostsFiles()): Transport {
  const sessionTimeoutMs = sessionTimeout(env);
  return {
    // A host that is still booting refuses for a while; give up after twice its connect timeout.
    // Its first session then gets its own, longer budget (pam_systemd, see first-session.ts).
    connect: (host, signal, onWait) =>
      connectWithSession(host, { signal, env, deadline: Date.now() + 2 * host.ssh.connectTimeoutSeconds * 1000, sessionTimeoutMs, knownHosts, ...(onWait ? { onWait } : {}) }),
    lock: async (conn, _signal, onWait) => {
      if (!(conn instanceof Ssh2Connection)) throw new InternalError(`${conn.name}: the SSH transport can only lock its own connections`);
      // The lock lives as long as its channel: release() ends it and waits for the holder to
      // exit, so the host is unlocked when apply returns (and sshd frees it if we die first).
      return acquireRemoteLock(conn, holder, onWait ? { onWait } : {});
    },
  };
}

function sessionTimeout(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env[SESSION_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return SESSION_TIMEOUT_MS;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0) {
    throw new UsageError(`${SESSION_TIMEOUT_ENV}=${raw}: not a number of seconds`, { hint: `set it to how long a host's first SSH session may take, e.g. ${SESSION_TIMEOUT_ENV}=180` });
  }
  return s * 1000;
}
