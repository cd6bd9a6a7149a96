/**
 * Opening session channels, and what their failures mean.
 *
 * sshd opens the PAM session of a connection right after authentication (UsePAM yes), and
 * pam_systemd waits there until logind has started the user's manager (user@UID.service). While it
 * waits, that sshd answers nothing: no channel open, no keepalive. On a host where the user manager
 * is slow to start (seen: 30-55 s on a loaded machine, and in production), the first channel of a
 * connection stalls and ssh2's keepalive finally drops the connection: "No response from server".
 * first-session.ts waits that out once per connection; this file names the cause when it is not
 * waited out, and retries the one failure that a retry can fix: the server refusing a channel
 * (SSH_MSG_CHANNEL_OPEN_FAILURE, e.g. MaxSessions reached by another client's channels) on a
 * connection that is still alive. A dead connection is never silently replaced here: the deploy
 * lock lives on it, and continuing on a new connection would continue unlocked.
 */
import type { ClientChannel } from 'ssh2';
import { SshError } from '../../shared/errors.js';
import type { Client } from './ssh2-lib.js';

/** The user manager pam_systemd waits for, as the operator would name it. */
export function userManagerUnit(user: string): string {
  return user === 'root' ? 'user@0.service' : `user@<uid of ${user}>.service`;
}

/** What to do about a host whose sessions do not open (the message's hint). */
export function sessionStallHint(host: string, user: string): string {
  return (
    `the likely cause is pam_systemd waiting for the user manager ${userManagerUnit(user)} to start (UsePAM yes in sshd_config). ` +
    `On ${host}, run \`loginctl enable-linger ${user}\` so the manager stays started, or find why it is slow ` +
    `(\`systemctl status ${userManagerUnit(user)}\`, \`journalctl -b -u systemd-logind\`); disabling pam_systemd in /etc/pam.d/sshd or UsePAM also avoids the wait`
  );
}

/** The connection itself is gone (keepalive gave up, or closed): no channel will open on it. */
export function isConnectionLost(err: Error): boolean {
  return /No response from server|Keepalive timeout|Not connected|connection lost/i.test(err.message);
}

/** The server refused this one channel; the connection is alive and a later open may work. */
export function isOpenRefused(err: Error): boolean {
  return /Channel open failure|open failed|administratively prohibited|resource shortage/i.test(err.message);
}

/** The SshError for a channel that could not be opened for `what`. */
export function channelOpenError(host: string, user: string, what: string, err: Error): SshError {
  if (isConnectionLost(err)) {
    return new SshError('E_SSH_CONNECT', host, `cannot open a channel for ${what}: ${err.message} (the SSH connection stopped answering)`, {
      hint: `either ${host} or the network went down, or its sshd is blocked: ${sessionStallHint(host, user)}`,
      cause: err,
    });
  }
  return new SshError('E_SSH_CONNECT', host, `cannot open a channel for ${what}: ${err.message}`, {
    hint: `sshd on ${host} refused the channel; check MaxSessions in its sshd_config (kubesmith keeps at most 10 open) and its log`,
    cause: err,
  });
}

/** Retry waits after a refused open (ms); their sum bounds the extra time spent. */
const REFUSED_RETRY_MS = [250, 1_000, 3_000];

/** Opens a session channel running `command`, retrying refused opens; rejects with the raw ssh2 error. */
export async function execChannel(client: Client, command: string, signal?: AbortSignal): Promise<ClientChannel> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<ClientChannel>((resolve, reject) => {
        try {
          client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch)));
        } catch (err) {
          reject(err as Error); // ssh2 throws "Not connected" once the connection is gone
        }
      });
    } catch (e) {
      const err = e as Error;
      const wait = REFUSED_RETRY_MS[attempt];
      if (wait === undefined || !isOpenRefused(err) || signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
