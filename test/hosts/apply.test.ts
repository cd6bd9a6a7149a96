/**
 * `kubesmith apply` on three real hosts (systemd-nspawn + sshd + systemd, test-hosts.md) with an
 * offline bundle whose etcd is Debian's real etcd and whose containerd/runc/CNI are Debian's real
 * binaries in release layout. The Kubernetes binaries are stub scripts (no kube-apiserver exists
 * in any registry here): the control-plane and node phases are proven to "files and units in
 * place, systemd-analyze verify clean", and their readiness checks report skipped with the reason,
 * unless KUBESMITH_E2E_K8S_BUNDLE names a real kubernetes-server tarball.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { etcdctlFromTest, setupApplyEnv, summaryOf, type ApplyEnv } from './apply-env.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/apply.test.ts skipped: ${can.reason}`);
const REAL_K8S = process.env.KUBESMITH_E2E_K8S_BUNDLE;
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const MEMBERS = HOSTS.map((h) => h.name);

describe.skipIf(!can.ok)('apply on real hosts', () => {
  let env: ApplyEnv;
  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('first apply: a healthy 3-member TLS etcd cluster, containerd running, units verified', async () => {
    const run = await env.apply();
    console.log(run.stderr);
    expect(run.stderr).toContain('==> Install etcd (3 hosts)');
    expect(run.code, run.stderr).toBe(0);
    // Node's own warnings (an abort listener per in-flight channel) must not reach the user.
    expect(run.stderr).not.toMatch(/\(node:\d+\) \w*Warning/);
    // The classic guide's checks, printed for the user as a table...
    expect(run.stderr).toMatch(/etcd endpoint health and status:[\s\S]*MEMBER\s+ENDPOINT\s+HEALTH/);
    // ...and checked independently here with the test machine's etcdctl.
    const health = JSON.parse(etcdctlFromTest(env, MEMBERS, ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
    const list = etcdctlFromTest(env, MEMBERS, ['member', 'list']);
    expect(list.split('\n').filter(Boolean).map((l) => l.split(', ')[2]).sort()).toEqual(MEMBERS);
    for (const h of env.group.hosts) {
      expect((await h.ssh('systemctl is-active containerd')).stdout.trim()).toBe('active');
      expect((await h.ssh('/usr/local/bin/ctr --address /run/containerd/containerd.sock version')).code).toBe(0);
      expect(h.readFile('/etc/sysctl.d/99-kubernetes.conf')).toContain('net.ipv4.ip_forward = 1');
      expect(h.readFile('/etc/hosts')).toContain(`${env.group.host('wk2').ip} wk2`);
    }
    expect(run.stderr).toMatch(/systemd-analyze verify clean: 3 unit files/); // apiserver, controller-manager, scheduler
    if (!REAL_K8S) {
      expect(run.stderr).toMatch(/kube-apiserver.service: readiness check skipped: .*does not run/);
      expect(run.stderr).toMatch(/kubelet.service: readiness check skipped/);
    }
  });

  it('second apply changes nothing and restarts nothing', async () => {
    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run).map((s) => [s.host, s.changed, s.restarted.length])).toEqual(MEMBERS.map((m) => [m, 0, 0]));
  });

  it('dry-run reads only: no lock, no writes, every step reported', async () => {
    // Hold the deploy lock on cp1 from outside: a dry-run must not need it, an apply must refuse.
    const holder = env.group.host('cp1').ssh('flock -n /run/lock/kubesmith.lock -c "echo held >/run/lock/kubesmith.owner; sleep 20"');
    for (const h of env.group.hosts) await h.ssh('touch /tmp/before-dry-run');
    await new Promise((r) => setTimeout(r, 1500));
    const dry = await env.apply(['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    for (const h of env.group.hosts) {
      // Nothing written anywhere kubesmith writes: not a file, not a temp file, not a marker
      // (/run/lock is left out: the test's own holder writes the owner file there).
      const newer = await h.ssh('find /opt /etc /usr/local /var/lib/kubesmith -xdev -newer /tmp/before-dry-run -type f 2>/dev/null');
      expect(newer.stdout.trim(), `${h.name} files written during dry-run`).toBe('');
    }
    expect(dry.stderr).toContain('nothing is written to any host and no lock is taken');
    expect(dry.stderr).toMatch(/cp1: unchanged: put \/opt\/etcd\/bin\/etcd/);
    const locked = await env.apply();
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/cp1: another kubesmith run holds the deploy lock/);
    await holder;
  });

  it.skipIf(!REAL_K8S)('with real Kubernetes binaries the control plane becomes ready (/readyz)', async () => {
    const run = await env.apply();
    expect(run.stderr).toMatch(/kube-apiserver.service: ready \(\/readyz\)/);
  });

  it('a stopped host stops the run at connect, before anything is written anywhere; after it is back, apply converges', async () => {
    await env.group.host('wk2').stop();
    const run = await env.apply();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/wk2: FAILED at connect/);
    // All or nothing before any write (#13 item 15): the others are not even locked.
    expect(run.stderr).toMatch(/nothing was written to any host/);
    expect(run.stderr).not.toContain('==> Lock');
    await env.group.host('wk2').start();
    const again = await env.apply();
    expect(again.code, again.stderr).toBe(0);
    const health = JSON.parse(etcdctlFromTest(env, MEMBERS, ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
  });

  it('refuses a host whose key is unknown or has changed', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const lines = readFileSync(env.group.knownHostsFile, 'utf8').split('\n');
    const ip = env.group.host('wk1').ip;
    const unknown = `${env.dir}/known_hosts.unknown`;
    writeFileSync(unknown, lines.filter((l) => !l.startsWith(`${ip} `)).join('\n'));
    const run = await env.apply([], env.writeInventory('inv-unknown.yaml', { knownHostsFile: unknown }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/wk1: FAILED at connect: wk1: .*(not in|unknown|no host key)/i);
    const other = lines.find((l) => l.startsWith(`${env.group.host('cp1').ip} `)) ?? '';
    const changed = `${env.dir}/known_hosts.changed`;
    writeFileSync(changed, [...lines.filter((l) => !l.startsWith(`${ip} `)), other.replace(env.group.host('cp1').ip, ip)].join('\n'));
    const run2 = await env.apply([], env.writeInventory('inv-changed.yaml', { knownHostsFile: changed }));
    expect(run2.code).toBe(1);
    expect(run2.stderr).toMatch(/wk1: FAILED at connect: wk1: .*(changed|mismatch|does not match)/i);
  });
});
