/**
 * The deploy lock on a host: `flock -n` on /run/lock/kubesmith.lock, held by a process that lives
 * exactly as long as a dedicated SSH channel (architecture §4.7). When the run ends, crashes or is
 * killed -9, sshd closes the channel, the holder reads EOF and exits, and the kernel drops the
 * lock: no stale lock files, no clocks. The holder's identity is written to
 * /run/lock/kubesmith.owner for the message the next contender sees.
 */
import { hostname, userInfo } from 'node:os';
import type { ClientChannel } from 'ssh2';
import { LockedError, RemoteCommandError } from '../../shared/errors.js';
import { channelOpenError, userManagerUnit } from './channel-open.js';
import { SESSION_PROGRESS_MS } from './first-session.js';
import { shArgv } from './quote.js';
import type { Ssh2Connection } from './ssh2-connection.js';

/** Lock and owner file paths on the host. */
export const LOCK_FILE = '/run/lock/kubesmith.lock';
export const OWNER_FILE = '/run/lock/kubesmith.owner';

const SCRIPT = `command -v flock >/dev/null 2>&1 || { echo "kubesmith-lock: no-flock"; exit 127; }
mkdir -p /run/lock
exec 9>>${LOCK_FILE}
if ! flock -n 9; then echo "kubesmith-lock: busy"; cat ${OWNER_FILE} 2>/dev/null; exit 75; fi
printf '%s\\n' "$1" > ${OWNER_FILE}.tmp && mv -f ${OWNER_FILE}.tmp ${OWNER_FILE}
echo "kubesmith-lock: locked"
cat >/dev/null
rm -f ${OWNER_FILE}`;

/** A held lock. */
export interface RemoteLock {
  readonly host: string;
  readonly holder: string;
  /** False once the channel closed (released, or the connection dropped). */
  held(): boolean;
  release(): Promise<void>;
}

/** "user@machine pid N, started ISO-TIME": who is running, for the other operator's message. */
export function describeHolder(startedAt: Date = new Date()): string {
  return `${userInfo().username}@${hostname()} pid ${process.pid}, started ${startedAt.toISOString()}`;
}

/** Options of acquireRemoteLock(). */
export interface LockOptions {
  /** How long the lock script may take to answer once its channel is open. @default 30 s */
  readonly timeoutMs?: number;
  /** A progress line every 15 s while the lock has not answered. */
  readonly onWait?: (message: string) => void;
}

/** Takes the lock or throws LockedError naming the holder. */
export async function acquireRemoteLock(conn: Ssh2Connection, holder: string = describeHolder(), opts: LockOptions = {}): Promise<RemoteLock> {
  const started = Date.now();
  // The transport hands over connections that already ran a session (first-session.ts), so this
  // is normally instant; on a connection that did not, sshd may still be in pam_systemd.
  const ticker = setInterval(() => {
    opts.onWait?.(`waiting for ${conn.name} to answer the deploy lock (${Math.round((Date.now() - started) / 1000)} s; pam_systemd starting ${userManagerUnit(conn.host.ssh.user)}?)`);
  }, SESSION_PROGRESS_MS);
  ticker.unref();
  let answer: { status: string; rest: string; stderr: string; ch: ClientChannel };
  try {
    let ch: ClientChannel;
    try {
      ch = await conn.openChannel(shArgv(SCRIPT, [holder]), true);
    } catch (e) {
      throw channelOpenError(conn.name, conn.host.ssh.user, 'the deploy lock', e as Error);
    }
    answer = { ...(await readStatus(ch, opts.timeoutMs ?? 30_000)), ch };
  } finally {
    clearInterval(ticker);
  }
  const { status, rest, stderr, ch } = answer;
  if (status === 'locked') {
    let open = true;
    const closed = new Promise<void>((r) => ch.once('close', () => ((open = false), r())));
    return {
      host: conn.name,
      holder,
      held: () => open,
      release: async () => {
        if (open) ch.end();
        // Wait for the holder to exit, at most 10 s; the timer is cleared (and unref'd) so a
        // released lock never keeps the CLI alive.
        let timer: NodeJS.Timeout | undefined;
        const giveUp = new Promise<void>((r) => (timer = setTimeout(r, 10_000)).unref());
        await Promise.race([closed, giveUp]);
        clearTimeout(timer);
      },
    };
  }
  ch.close();
  if (status === 'busy') {
    const who = rest.trim() || 'an unknown holder (no owner file)';
    throw new LockedError(`${conn.name}: another kubesmith run holds the deploy lock ${LOCK_FILE}: ${who}`, {
      hint: `wait for that run to finish; the lock frees itself when its SSH connection closes, even if it was killed. To see the holding process: \`fuser -v ${LOCK_FILE}\` on ${conn.name}`,
    });
  }
  if (status === 'no-flock') {
    throw new RemoteCommandError(conn.name, 'flock (deploy lock)', 127, 'flock: command not found', {
      hint: 'install util-linux (it provides flock) on the host; kubesmith does not run unlocked',
    });
  }
  if (!status.startsWith('no answer')) {
    throw conn.failed(`take the deploy lock ${LOCK_FILE}`, { exitCode: 1, stdout: '', stderr: stderr || `unexpected reply: ${status}` });
  }
  throw new RemoteCommandError(conn.name, `take the deploy lock ${LOCK_FILE}`, 124, `the lock script did not answer within ${(opts.timeoutMs ?? 30_000) / 1000} s`, {
    hint: `check that a login shell on ${conn.name} starts quickly (\`time ssh ${conn.host.ssh.user}@${conn.host.address} true\`)`,
  });
}

/** Reads the first status line ("kubesmith-lock: X") and what follows until exit. */
function readStatus(ch: ClientChannel, timeoutMs: number): Promise<{ status: string; rest: string; stderr: string }> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const done = (status: string): void => {
      clearTimeout(timer);
      ch.removeListener('data', onData);
      const lines = out.split('\n');
      resolve({ status, rest: lines.slice(1).join('\n'), stderr: err.trim() });
    };
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = /^kubesmith-lock: (\S+)\n/.exec(out);
      if (m && m[1] === 'locked') done('locked');
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    ch.on('data', onData);
    ch.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    ch.once('close', () => {
      const m = /^kubesmith-lock: (\S+)/.exec(out);
      done(m?.[1] ?? 'exited without taking the lock');
    });
  });
}
