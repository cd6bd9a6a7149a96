/**
 * A real OpenSSH server on 127.0.0.1 for one test file: its own host key, a test client key in
 * its own authorized_keys, TCP forwarding allowed. Needs root (sshd's privilege separation);
 * `unavailableReason()` says why it cannot run so tests can skip with that reason.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';

/** Why a local sshd cannot run here, or undefined when it can. */
export function unavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (sshd privilege separation); CI runs as root';
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  return undefined;
}

export interface LocalSshd {
  readonly port: number;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on (right now). */
import { freePort } from '../../support/free-port.js';

export { freePort };

async function waitForPort(port: number, proc: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (proc.exitCode !== null) throw new Error(`sshd exited with ${proc.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${stderr()}`);
}

/** Starts sshd in the foreground (-D) on a free loopback port. */
export async function startLocalSshd(): Promise<LocalSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-sshd-'));
  const key = (name: string): void => void execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  key('host_key');
  key('client_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'AllowTcpForwarding yes', 'LogLevel ERROR',
    ].join('\n'),
  );
  const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir (RuntimeDirectory in its unit)
  const proc = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await waitForPort(port, proc, () => err);
  return {
    port,
    identityFile: join(dir, 'client_key'),
    knownHostsFile: join(dir, 'known_hosts'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
