/**
 * #13 item 15 at the SSH layer, against a local server that stalls like an sshd whose pam_systemd
 * waits for user@0.service (test/support/stalling-sshd.ts): authentication succeeds, then the
 * connection answers nothing, keepalives included, until the user manager is "up".
 * (Real hosts with a really slow user manager: test/hosts/slow-session.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sshTransport } from '../../../src/cli/ssh-transport.js';
import { connectWithSession } from '../../../src/deploy/ssh/first-session.js';
import { acquireRemoteLock } from '../../../src/deploy/ssh/remote-lock.js';
import { Ssh2Connection } from '../../../src/deploy/ssh/ssh2-connection.js';
import type { InventoryHost } from '../../../src/inventory/types.js';
import { SshError } from '../../../src/shared/errors.js';
import { aHost } from '../../support/inventory-builder.js';
import { startStallingSshd, type StallingSshd } from '../../support/stalling-sshd.js';

let server: StallingSshd | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const hostOf = (s: StallingSshd): InventoryHost =>
  aHost('h3', '127.0.0.1', ['etcd'], { port: s.port, identityFile: s.identityFile, knownHostsFile: s.knownHostsFile, hostKeyPolicy: 'accept-new', agent: false, connectTimeoutSeconds: 5 });

describe('the first SSH session of a connection', () => {
  it('is waited for past keepalive drops (reconnecting), with progress lines naming pam_systemd; then the lock is taken on it', async () => {
    server = await startStallingSshd(2_000);
    const waits: string[] = [];
    const t0 = Date.now();
    // Keepalive every 150 ms: ssh2 drops the blocked connection after ~0.6 s ("No response from server").
    const conn = await connectWithSession(hostOf(server), {
      env: {}, deadline: Date.now() + 5_000, sessionTimeoutMs: 10_000, keepaliveIntervalMs: 150, progressEveryMs: 400, onWait: (m) => waits.push(m),
    });
    try {
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
      expect(server.connections()).toBeGreaterThanOrEqual(2); // at least one reconnect after a drop
      expect(waits[0]).toMatch(/^waiting for h3 to open a session \(pam_systemd starting user@0\.service\?\) \d+ s$/);
      const lock = await acquireRemoteLock(conn, 'test pid 1');
      expect(lock.held()).toBe(true);
      await lock.release();
    } finally {
      await conn.close();
    }
  });

  it('through the CLI transport: a host whose sessions never open fails connect within the budget, naming the cause and the fix', async () => {
    server = await startStallingSshd(Infinity);
    const transport = sshTransport({ KUBESMITH_SSH_SESSION_TIMEOUT: '1.5' }, 'test pid 1');
    const waits: string[] = [];
    const t0 = Date.now();
    // Before: connect returned at authentication and the lock's channel hung until keepalive
    // gave up (40 s) with a bare "No response from server".
    const err = await transport.connect(hostOf(server), new AbortController().signal, (m) => waits.push(m)).then(
      async (c) => (await c.close(), 'connected'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SshError);
    const e = err as SshError;
    expect(e.message).toBe(`h3: root@127.0.0.1: the connection was accepted, but no session opened within 2 s`);
    expect(e.hint).toMatch(/pam_systemd waiting for the user manager user@0\.service/);
    expect(e.hint).toMatch(/`loginctl enable-linger root`/);
    expect(e.hint).toMatch(/UsePAM/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('rejects a malformed session budget with the variable named', () => {
    expect(() => sshTransport({ KUBESMITH_SSH_SESSION_TIMEOUT: 'soon' }, 'x')).toThrow(/KUBESMITH_SSH_SESSION_TIMEOUT=soon: not a number of seconds/);
  });
});

describe('a channel the server refuses (SSH_MSG_CHANNEL_OPEN_FAILURE) on a live connection', () => {
  it('is opened again after a short wait; past three refusals the error names MaxSessions', async () => {
    server = await startStallingSshd(0, { refuseSessions: 2 });
    const conn = await Ssh2Connection.connect(hostOf(server), { env: {} });
    try {
      expect((await conn.probe(['true'])).exitCode).toBe(0); // 2 refusals, then open
      server.refuseNext(4);
      const err = await conn.probe(['true']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshError);
      expect((err as SshError).message).toMatch(/^h3: cannot open a channel for true: \(SSH\) Channel open failure/);
      expect((err as SshError).hint).toMatch(/MaxSessions/);
    } finally {
      await conn.close();
    }
  });
});
