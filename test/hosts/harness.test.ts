/**
 * Smoke test of the test-host harness itself: two real nspawn hosts boot with systemd and sshd,
 * accept the generated key under strict host key checking, reach each other over the bridge, can
 * be stopped and started, and shutdown leaves no mount, bridge, cgroup or claim behind.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/test-hosts-shell.js';
import { bootHosts, canBootHosts, sshArgs, type TestHostGroup } from '../support/test-hosts.js';

/** Shell that prints the first bytes of a peer's sshd banner (no ping/nc in the hosts). */
const banner = (peer: string): string => `timeout 2 bash -c 'exec 3<>/dev/tcp/${peer}/22; head -c 7 <&3'`;

const can = canBootHosts();
if (!can.ok) console.warn(`skipping test-host harness tests: ${can.reason}`);

describe.skipIf(!can.ok)('test-host harness (systemd-nspawn)', () => {
  let group: TestHostGroup;
  let bootMs = 0;

  beforeAll(async () => {
    const t0 = performance.now();
    group = await bootHosts({ count: 2, withUser: 'deploy' });
    bootMs = performance.now() - t0;
    console.log(`booted 2 hosts in ${Math.round(bootMs)} ms on ${group.bridge}`);
  });
  afterAll(async () => {
    await group?.shutdown();
  });

  it('boots hosts running systemd with their own identity', async () => {
    for (const h of group.hosts) {
      const r = await h.ssh('systemctl is-system-running; hostname; cat /etc/machine-id');
      const [state, hostname, machineId] = r.stdout.trim().split('\n');
      expect(['running', 'degraded']).toContain(state);
      expect(hostname).toBe(h.name);
      expect(machineId).toMatch(/^[0-9a-f]{32}$/);
    }
    const ids = group.hosts.map((h) => h.readFile('/etc/machine-id'));
    expect(new Set(ids).size).toBe(2);
    expect(group.hosts[0]!.readFile('/etc/ssh/ssh_host_ed25519_key.pub')).not.toBe(
      group.hosts[1]!.readFile('/etc/ssh/ssh_host_ed25519_key.pub'),
    );
  });

  it('does not run the machine services kubesmith installs itself', async () => {
    const r = await group.hosts[0]!.ssh('systemctl is-enabled etcd containerd; systemctl is-active etcd containerd');
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['disabled', 'disabled', 'inactive', 'inactive']);
  });

  it("gives root Debian's stock shell files, not this machine's (its pyenv init cost 95 ms per SSH command)", async () => {
    const h = group.hosts[0]!;
    expect(h.readFile('/root/.bashrc')).toBe(readFileSync('/etc/skel/.bashrc', 'utf8'));
    expect((await h.ssh('echo "$PATH"')).stdout).not.toContain('pyenv');
  });

  it('lets hosts reach each other and the machine reach them', async () => {
    const [a, b] = group.hosts as [typeof group.hosts[0], typeof group.hosts[0]];
    const r = await a.ssh(`${banner(b.name)}; getent hosts ${b.name}`);
    expect(r.stdout).toContain('SSH-2.0');
    expect(r.stdout).toContain(b.ip);
  });

  it('gives the sudo user password-less sudo and reflects writes in rootDir', async () => {
    const r = await group.hosts[0]!.ssh('id -un; sudo -n sh -c "echo hi > /opt/harness-check"', { user: 'deploy' });
    expect(r.stdout.trim()).toBe('deploy');
    expect(r.code).toBe(0);
    expect(group.hosts[0]!.readFile('/opt/harness-check')).toBe('hi\n');
    expect(existsSync('/opt/harness-check')).toBe(false); // the machine's root is untouched
  });

  it('writes the real host keys to known_hosts: a wrong key is refused', async () => {
    const [a, b] = group.hosts as [typeof group.hosts[0], typeof group.hosts[0]];
    const lines = readFileSync(group.knownHostsFile, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith(`${a.ip} `)).length).toBeGreaterThanOrEqual(3);
    const swapped = join(mkdtempSync(join(tmpdir(), 'ks-kh-')), 'known_hosts');
    writeFileSync(swapped, lines.filter((l) => l.startsWith(`${b.ip} `)).map((l) => l.replace(b.ip, a.ip)).join('\n'));
    const ok = await run('ssh', [...sshArgs(group.keyFile, group.knownHostsFile), `root@${a.ip}`, 'true']);
    const bad = await run('ssh', [...sshArgs(group.keyFile, swapped), `root@${a.ip}`, 'true']);
    expect(ok.code).toBe(0);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/host key verification failed|IDENTIFICATION HAS CHANGED/i);
  });

  it('stops and starts one host', async () => {
    const h = group.hosts[1]!;
    await h.stop();
    const down = await group.hosts[0]!.ssh(`${banner(h.ip)} && echo up || echo down`);
    expect(down.stdout.trim()).toBe('down');
    expect(existsSync(h.path('/etc/hostname'))).toBe(true); // the disk is kept
    await h.start();
    expect((await h.ssh('cat /opt/harness-check 2>/dev/null; echo back')).stdout).toContain('back');
  });

  it('shutdown leaves no mount, bridge, cgroup or claim behind', async () => {
    const bridge = group.bridge;
    const slot = bridge.replace('ksbr', '');
    const roots = group.hosts.map((h) => h.rootDir);
    await group.shutdown();
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    for (const r of roots) expect(mounts).not.toContain(r);
    expect(existsSync(`/run/kubesmith-test/slot-${slot}`)).toBe(false);
    const cgroups = readFileSync('/proc/self/cgroup', 'utf8');
    expect(cgroups).not.toContain(`ks-${slot}-`);
    expect(existsSync(`/sys/fs/cgroup/pids/ks-${slot}-h1`)).toBe(false);
  });
});
