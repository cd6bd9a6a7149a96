/**
 * The ssh2 transport against real hosts (systemd-nspawn, real sshd, real sudo, real flock):
 * commands and quoting through a real login shell, atomic streamed writes, sudo for a non-root
 * user, known_hosts policies, a bastion, the deploy lock (including kill -9 of its holder) and
 * connect retries.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectWithRetry } from '../../src/deploy/ssh/connect-retry.js';
import { readOnlyView } from '../../src/deploy/ssh/host-reader.js';
import { acquireRemoteLock, OWNER_FILE } from '../../src/deploy/ssh/remote-lock.js';
import { Ssh2Connection } from '../../src/deploy/ssh/ssh2-connection.js';
import { FACTS_SCRIPT, parseFacts } from '../../src/deploy/phases/_facts.js';
import { Client } from '../../src/deploy/ssh/ssh2-lib.js';
import type { InventoryHost, SshSettings } from '../../src/inventory/types.js';
import { Interrupted, LockedError, RemoteCommandError, SshError } from '../../src/shared/errors.js';
import { aHost } from '../support/inventory-builder.js';
import { startNodeChild, transpileSources, waitForLine } from '../support/test-hosts-child.js';
import { runOk } from '../support/test-hosts-shell.js';
import { bootHosts, canBootHosts, type TestHost, type TestHostGroup } from '../support/test-hosts.js';

const can = canBootHosts();
if (!can.ok) console.warn(`skipping ssh transport host tests: ${can.reason}`);

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const NO_AGENT = { env: {} };

describe.skipIf(!can.ok)('Ssh2Connection on real hosts', () => {
  let g: TestHostGroup;
  let h1: TestHost, h2: TestHost, h3: TestHost;
  let root1: Ssh2Connection;
  const inv = (h: TestHost, ssh: Partial<SshSettings> = {}): InventoryHost =>
    aHost(h.name, h.ip, ['worker'], { ...g.ssh, connectTimeoutSeconds: 5, ...ssh });
  const tmpKnownHosts = (content = ''): string => {
    const f = join(mkdtempSync(join(tmpdir(), 'ks-kh-')), 'known_hosts');
    writeFileSync(f, content);
    return f;
  };

  beforeAll(async () => {
    g = await bootHosts({ count: 3, withUser: 'deploy' });
    [h1, h2, h3] = g.hosts as [TestHost, TestHost, TestHost];
    root1 = await Ssh2Connection.connect(inv(h1), NO_AGENT);
  });
  afterAll(async () => {
    await root1?.close();
    await g?.shutdown();
  });

  describe('exec', () => {
    it('runs the gather-facts script: the interface carrying the host IP and the OS proxy files are seen', async () => {
      const facts = parseFacts((await root1.probe(['sh', '-c', FACTS_SCRIPT])).stdout, Date.now());
      expect(facts.interfaces?.get('host0')).toContain(h1.ip);
      // nginx-light and libnginx-mod-stream are installed on this machine (.ci/run), so on its overlays.
      expect([...(facts.osFiles ?? [])]).toEqual(expect.arrayContaining(['/usr/sbin/nginx', '/usr/lib/nginx/modules/ngx_stream_module.so']));
    });

    it('turns Nagle off (TCP_NODELAY): otherwise every command waits about 40 ms for a delayed ACK', async () => {
      const spy = vi.spyOn(Client.prototype, 'setNoDelay');
      const c = await Ssh2Connection.connect(inv(h2), NO_AGENT);
      try {
        expect(spy).toHaveBeenCalledWith(true);
      } finally {
        spy.mockRestore();
        await c.close();
      }
    });

    it('returns exit code, stdout and stderr without throwing', async () => {
      const r = await root1.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(r).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
      expect((await root1.probe(['false'])).exitCode).toBe(1);
      expect((await root1.probe(['/no/such/command'])).exitCode).toBe(127);
    });

    it('passes torture arguments byte-for-byte through the remote shell (and through sudo)', async () => {
      const args = ['', ' ', "it's", '"q"', '$HOME', '$(id)', '`id`', '*', '~', 'a\nb', '\t', 'héllo 日本 🚀', "'\\''", '\\', '!', '-n', '%s'];
      const argv = ['printf', '%s\\0', ...args];
      expect((await root1.exec(argv)).stdout.split('\0').slice(0, -1)).toEqual(args);
      const deploy = await Ssh2Connection.connect(inv(h1, { user: 'deploy', sudo: true }), NO_AGENT);
      try {
        expect((await deploy.exec(argv)).stdout.split('\0').slice(0, -1)).toEqual(args);
      } finally {
        await deploy.close();
      }
    });

    it('feeds stdin and runs more channels at once than sshd allows sessions', async () => {
      expect((await root1.exec(['sha256sum'], { stdin: new TextEncoder().encode('abc') })).stdout).toContain(sha('abc'));
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => root1.exec(['sh', '-c', `sleep 0.2; echo ${i}`])));
      expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
    });

    it('kills the remote process on timeout and on abort', async () => {
      const timedOut = root1.exec(['sh', '-c', 'echo $$ > /root/ks-sleeper; exec sleep 300'], { timeoutMs: 1000 });
      await expect(timedOut).rejects.toMatchObject({ code: 'E_REMOTE_EXIT', remoteExitCode: 124 });
      const pid = h1.readFile('/root/ks-sleeper').trim();
      await expect.poll(async () => (await root1.probe(['kill', '-0', pid])).exitCode).toBe(1);

      const ac = new AbortController();
      const p = root1.exec(['sh', '-c', 'echo $$ > /root/ks-sleeper2; exec sleep 301'], { signal: ac.signal });
      await expect.poll(() => existsSync(h1.path('/root/ks-sleeper2'))).toBe(true);
      ac.abort();
      await expect(p).rejects.toBeInstanceOf(Interrupted);
      const pid2 = h1.readFile('/root/ks-sleeper2').trim();
      await expect.poll(async () => (await root1.probe(['kill', '-0', pid2])).exitCode).toBe(1);
    });
  });

  describe('stat and the read-only view', () => {
    it('reports sha256, mode, owner and size of existing files only, in one call', async () => {
      // rootDir is the overlay; /tmp and /run inside the host are nspawn's tmpfs, so use /root.
      writeFileSync(h1.path('/root/a b'), 'one', { mode: 0o640 });
      writeFileSync(h1.path('/root/n\nl'), 'x');
      const s = await root1.stat(['/root/a b', '/root/n\nl', '/root/missing', '/etc']);
      expect(s.get('/root/a b')).toEqual({ sha256: sha('one'), mode: 0o640, owner: 'root:root', size: 3 });
      expect(s.get('/root/n\nl')?.sha256).toBe(sha('x'));
      expect([...s.keys()].sort()).toEqual(['/root/a b', '/root/n\nl']);
    });

    it('exposes only probe and stat', () => {
      const r = readOnlyView(root1);
      expect(Object.keys(r).sort()).toEqual(['name', 'probe', 'stat']);
      expect((r as unknown as Record<string, unknown>)['writeFile']).toBeUndefined();
      expect(Object.isFrozen(r)).toBe(true);
    });
  });

  describe('writeFile', () => {
    it('writes atomically with mode and owner, and creates parent directories', async () => {
      const key = new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nsecret\n');
      await root1.writeFile('/etc/ks-test/ssl/key.pem', key, { mode: 0o600, owner: 'root:root', sha256: sha(key) });
      await root1.writeFile('/opt/ks-test/bin/tool', new TextEncoder().encode('#!/bin/sh\necho tool\n'), {
        mode: 0o755, owner: 'nobody:nogroup', sha256: sha('#!/bin/sh\necho tool\n'),
      });
      const st = statSync(h1.path('/etc/ks-test/ssl/key.pem'));
      expect(st.mode & 0o7777).toBe(0o600);
      expect(st.uid).toBe(0);
      expect(readFileSync(h1.path('/etc/ks-test/ssl/key.pem'), 'utf8')).toContain('secret');
      expect((await root1.exec(['/opt/ks-test/bin/tool'])).stdout).toBe('tool\n');
      expect((await root1.stat(['/opt/ks-test/bin/tool'])).get('/opt/ks-test/bin/tool')).toMatchObject({ mode: 0o755, owner: 'nobody:nogroup' });
      expect(readdirSync(h1.path('/etc/ks-test/ssl'))).toEqual(['key.pem']);
    });

    it('refuses content whose sha256 does not match and leaves the target untouched', async () => {
      const path = '/etc/ks-test/config.yaml';
      await root1.writeFile(path, new TextEncoder().encode('old\n'), { mode: 0o644, owner: 'root:root', sha256: sha('old\n') });
      const err = await root1
        .writeFile(path, new TextEncoder().encode('new\n'), { mode: 0o644, owner: 'root:root', sha256: sha('something else') })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteCommandError);
      expect((err as RemoteCommandError).message).toContain(`write ${path}`);
      expect((err as RemoteCommandError).hint).toContain('was not touched');
      expect(h1.readFile(path)).toBe('old\n');
      expect(readdirSync(h1.path('/etc/ks-test'))).toEqual(['config.yaml', 'ssl']);
    });

    it('leaves no partial target when the source dies mid-upload; the next write cleans up', async () => {
      const path = '/etc/ks-test/big.bin';
      writeFileSync(h1.path(`${path}.kubesmith-tmp-stale01`), 'left by a killed run');
      const dying = new Readable({
        read() {
          this.push(Buffer.alloc(256 * 1024, 1));
          setTimeout(() => this.destroy(new Error('disk read error')), 50);
        },
      });
      await expect(root1.writeFile(path, dying, { mode: 0o644, owner: 'root:root', sha256: sha('whole') })).rejects.toThrow('disk read error');
      expect(existsSync(h1.path(path))).toBe(false);
      await root1.writeFile(path, new TextEncoder().encode('whole'), { mode: 0o644, owner: 'root:root', sha256: sha('whole') });
      expect(readdirSync(h1.path('/etc/ks-test')).filter((f) => f.startsWith('big.bin'))).toEqual(['big.bin']);
    });

    it('streams 50 MB with backpressure: client memory stays bounded', async () => {
      const chunk = Buffer.alloc(64 * 1024);
      const total = 800; // 800 x 64 KiB = 50 MiB
      const content = (): Readable => {
        let i = 0;
        return new Readable({
          read() {
            if (i === total) return void this.push(null);
            chunk.writeUInt32BE(i++, 0); // different bytes per chunk; the same buffer is reused
            this.push(Buffer.from(chunk));
          },
        });
      };
      const h = createHash('sha256');
      for await (const c of content()) h.update(c as Buffer);
      const digest = h.digest('hex');
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      await root1.writeFile('/opt/ks-test/big', content(), { mode: 0o755, owner: 'root:root', sha256: digest });
      clearInterval(sampler);
      console.log(`50 MiB upload: client RSS grew ${Math.round((peak - base) / 1048576)} MiB`);
      expect(statSync(h1.path('/opt/ks-test/big')).size).toBe(total * 64 * 1024);
      expect(peak - base).toBeLessThan(40 * 1024 * 1024);
    });
  });

  describe('a non-root user with sudo', () => {
    it('writes root-owned files under /opt and runs commands as root', async () => {
      const c = await Ssh2Connection.connect(inv(h2, { user: 'deploy', sudo: true }), NO_AGENT);
      try {
        expect(c.usesSudo).toBe(true);
        expect((await c.exec(['id', '-un'])).stdout.trim()).toBe('root');
        expect((await c.exec(['id', '-un'], { sudo: false })).stdout.trim()).toBe('deploy');
        const body = new TextEncoder().encode('[Unit]\nDescription=x\n');
        await c.writeFile('/opt/kubernetes/cfg/x.conf', body, { mode: 0o600, owner: 'root:root', sha256: sha(body) });
        const st = statSync(h2.path('/opt/kubernetes/cfg/x.conf'));
        expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
        expect((await c.stat(['/opt/kubernetes/cfg/x.conf'])).get('/opt/kubernetes/cfg/x.conf')?.sha256).toBe(sha(body));
      } finally {
        await c.close();
      }
    });

    it('without sudo, fails clearly instead of writing', async () => {
      const c = await Ssh2Connection.connect(inv(h2, { user: 'deploy', sudo: false }), NO_AGENT);
      try {
        const err = await c.writeFile('/opt/nope/x', new Uint8Array([1]), { mode: 0o644, owner: 'root:root', sha256: sha(new Uint8Array([1])) }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RemoteCommandError);
        expect((err as RemoteCommandError).detail.join('\n')).toMatch(/Permission denied/);
        expect((err as RemoteCommandError).hint).toContain('set ssh.sudo: true');
      } finally {
        await c.close();
      }
    });
  });

  describe('sudo setups kubesmith cannot use', () => {
    it('explains requiretty and password-protected sudo instead of hanging', async () => {
      const root3 = await Ssh2Connection.connect(inv(h3), NO_AGENT);
      const deploy3 = await Ssh2Connection.connect(inv(h3, { user: 'deploy', sudo: true }), NO_AGENT);
      const put = (path: string, text: string): Promise<void> =>
        root3.writeFile(path, new TextEncoder().encode(text), { mode: 0o440, owner: 'root:root', sha256: sha(text) });
      const attempt = (): Promise<unknown> =>
        deploy3.writeFile('/opt/x', new Uint8Array([1]), { mode: 0o644, owner: 'root:root', sha256: sha(new Uint8Array([1])) }).catch((e: unknown) => e);
      try {
        await put('/etc/sudoers.d/zz-tty', 'Defaults:deploy requiretty\n');
        expect((await attempt()) as RemoteCommandError).toMatchObject({ hint: expect.stringContaining('!requiretty') });
        await root3.exec(['rm', '/etc/sudoers.d/zz-tty']);
        await put('/etc/sudoers.d/deploy', 'deploy ALL=(ALL) ALL\n');
        const err = (await attempt()) as RemoteCommandError;
        expect(err).toBeInstanceOf(RemoteCommandError);
        expect(err.hint).toContain('NOPASSWD');
        await expect(acquireRemoteLock(deploy3)).rejects.toMatchObject({ hint: expect.stringContaining('NOPASSWD') });
      } finally {
        await put('/etc/sudoers.d/deploy', 'deploy ALL=(ALL) NOPASSWD:ALL\n');
        await root3.exec(['rm', '-f', '/etc/sudoers.d/zz-tty']);
        await deploy3.close();
        await root3.close();
      }
    });
  });

  describe('known_hosts', () => {
    it('refuses an unknown host under strict, naming the fingerprint and the fix', async () => {
      const file = tmpKnownHosts();
      const err = await Ssh2Connection.connect(inv(h1, { knownHostsFile: file }), NO_AGENT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshError);
      expect(err).toMatchObject({ code: 'E_SSH_HOSTKEY', retryable: false });
      expect((err as SshError).message).toMatch(new RegExp(`host key for ${h1.ip} is not in ${file}; verify the fingerprint \\(SHA256:[A-Za-z0-9+/]{43}\\)`));
      expect((err as SshError).message).toContain('ssh-keyscan');
      expect(readFileSync(file, 'utf8')).toBe('');
    });

    it('accept-new appends the real key once; strict then accepts it', async () => {
      const file = tmpKnownHosts('# mine\n10.99.99.99 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtQnc6ZZcMfV4QQpz2N+VA0kxOFbcR6Okl/6W6S5a9S');
      const c = await Ssh2Connection.connect(inv(h1, { knownHostsFile: file, hostKeyPolicy: 'accept-new' }), NO_AGENT);
      await c.close();
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(readFileSync(g.knownHostsFile, 'utf8').split('\n')).toContain(lines[2]);
      const again = await Ssh2Connection.connect(inv(h1, { knownHostsFile: file }), NO_AGENT);
      await again.close();
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    });

    it('refuses a changed key even under accept-new, with both fingerprints and the line', async () => {
      const theirs = readFileSync(g.knownHostsFile, 'utf8').split('\n').filter((l) => l.startsWith(`${h2.ip} `));
      const file = tmpKnownHosts(`# header\n${theirs.map((l) => l.replace(h2.ip, h1.ip)).join('\n')}\n`);
      const err = await Ssh2Connection.connect(inv(h1, { knownHostsFile: file, hostKeyPolicy: 'accept-new' }), NO_AGENT).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_SSH_HOSTKEY' });
      expect((err as SshError).message).toMatch(new RegExp(`CHANGED: ${file}:\\d+ has SHA256:\\S+, the host presented SHA256:\\S+`));
      expect((err as SshError).hint).toContain('ssh-keygen -R');
      expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(theirs.length + 2);
    });
  });

  it('reaches a host through a bastion', async () => {
    const c = await Ssh2Connection.connect(inv(h3, { bastion: { address: h1.ip, port: 22, user: 'root' } }), NO_AGENT);
    try {
      const r = await c.exec(['sh', '-c', 'hostname; echo $SSH_CLIENT']);
      const [name, client] = r.stdout.trim().split('\n');
      expect(name).toBe(h3.name);
      expect(client?.split(' ')[0]).toBe(h1.ip); // the connection came from the bastion
    } finally {
      await c.close();
    }
  });

  describe('the deploy lock', () => {
    it('lets one holder in and tells the second who holds it', async () => {
      const other = await Ssh2Connection.connect(inv(h2, { user: 'deploy', sudo: true }), NO_AGENT);
      const mine = await Ssh2Connection.connect(inv(h2), NO_AGENT);
      try {
        const lock = await acquireRemoteLock(mine, 'alice@laptop pid 42, started 2026-01-01T00:00:00.000Z');
        expect((await h2.ssh(`cat ${OWNER_FILE}`)).stdout).toContain('alice@laptop pid 42'); // /run is a tmpfs inside
        const err = await acquireRemoteLock(other).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(LockedError);
        expect((err as LockedError).message).toContain('alice@laptop pid 42, started 2026-01-01');
        expect((err as LockedError).hint).toContain('wait for that run to finish');
        await lock.release();
        expect(lock.held()).toBe(false);
        const second = await acquireRemoteLock(other);
        expect(second.held()).toBe(true);
        await second.release();
      } finally {
        await other.close();
        await mine.close();
      }
    });

    it('is released when the holding process is killed -9', async () => {
      const dir = transpileSources(['src/deploy/ssh', 'src/shared', 'src/inventory']);
      const child = startNodeChild(
        dir,
        `import { Ssh2Connection } from './src/deploy/ssh/ssh2-connection.js';
         import { acquireRemoteLock } from './src/deploy/ssh/remote-lock.js';
         const host = JSON.parse(process.argv[2]);
         const conn = await Ssh2Connection.connect(host, { env: {} });
         await acquireRemoteLock(conn, 'child pid ' + process.pid);
         console.log('LOCKED');
         setInterval(() => {}, 1000);`,
        [JSON.stringify(inv(h3))],
      );
      await waitForLine(child, /^LOCKED$/);
      const probe = await Ssh2Connection.connect(inv(h3), NO_AGENT);
      try {
        await expect(acquireRemoteLock(probe)).rejects.toThrow(`child pid ${child.pid}`);
        child.kill('SIGKILL');
        await expect
          .poll(async () => acquireRemoteLock(probe).then(async (l) => (await l.release(), 'acquired'), (e: Error) => e.message), { timeout: 20_000, interval: 500 })
          .toBe('acquired');
      } finally {
        await probe.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('connecting and retries', () => {
    it('logs in through an ssh-agent when no identity file is set', async () => {
      const sock = join(mkdtempSync(join(tmpdir(), 'ks-agent-')), 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        await expect.poll(() => existsSync(sock)).toBe(true);
        await runOk('env', [`SSH_AUTH_SOCK=${sock}`, 'ssh-add', '-q', g.keyFile]);
        const host = aHost(h1.name, h1.ip, ['worker'], { knownHostsFile: g.knownHostsFile, agent: true });
        const c = await Ssh2Connection.connect(host, { env: { SSH_AUTH_SOCK: sock } });
        expect((await c.exec(['hostname'])).stdout.trim()).toBe(h1.name);
        await c.close();
        await expect(Ssh2Connection.connect(host, NO_AGENT)).rejects.toMatchObject({ code: 'E_SSH_AUTH', message: expect.stringContaining('no key to log in with') });
      } finally {
        agent.kill();
      }
    });

    it('does not retry an authentication failure', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ks-key-'));
      await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      let retries = 0;
      const err = await connectWithRetry(inv(h1, { identityFile: join(dir, 'k') }), { ...NO_AGENT, deadline: Date.now() + 30_000, onRetry: () => retries++ }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_SSH_AUTH', retryable: false });
      expect((err as SshError).message).toContain(`root@${h1.ip}:22: authentication failed`);
      expect(retries).toBe(0);
    });

    it('retries a refused connection until the deadline', async () => {
      let retries = 0;
      const err = await connectWithRetry(inv(h1, { port: 2222 }), { ...NO_AGENT, deadline: Date.now() + 2_500, onRetry: () => retries++ }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_SSH_CONNECT' });
      expect((err as SshError).message).toMatch(/gave up after \d+ attempt\(s\): .*ECONNREFUSED/);
      expect(retries).toBeGreaterThanOrEqual(2);
    });

    it('reports a dropped connection as a retryable E_SSH_CONNECT, in flight and afterwards', async () => {
      const c = await Ssh2Connection.connect(inv(h2), NO_AGENT);
      try {
        const sessionPid = (await c.exec(['sh', '-c', 'echo $PPID'])).stdout.trim(); // sshd's per-connection process
        const inFlight = c.exec(['sleep', '30']).catch((e: unknown) => e);
        await new Promise((r) => setTimeout(r, 300));
        await h2.ssh(`kill -9 ${sessionPid}`);
        expect(await inFlight).toMatchObject({ code: 'E_SSH_CONNECT', retryable: true });
        await expect(c.exec(['true'])).rejects.toMatchObject({ code: 'E_SSH_CONNECT' });
      } finally {
        await c.close();
      }
    });

    it('reconnects to a host that comes back up before the deadline', async () => {
      await h3.stop();
      const attempts: string[] = [];
      const pending = connectWithRetry(inv(h3, { connectTimeoutSeconds: 2 }), { ...NO_AGENT, deadline: Date.now() + 90_000, onRetry: (_, e) => attempts.push(e.code) });
      await new Promise((r) => setTimeout(r, 1_500));
      await h3.start();
      const c = await pending;
      try {
        expect(attempts.length).toBeGreaterThan(0);
        expect((await c.exec(['hostname'])).stdout.trim()).toBe(h3.name);
      } finally {
        await c.close();
      }
    });
  });
});
