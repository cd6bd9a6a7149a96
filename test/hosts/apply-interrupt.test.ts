/**
 * Interrupted and non-root applies on real hosts. The CLI runs as a child process; it is
 * SIGKILLed while streaming a 200 MB binary (a padded stub: no real kube-apiserver exists here,
 * the bytes only give the upload time to be interrupted). Afterwards no host holds a partial
 * binary, the lock of the killed run is gone, and the next apply converges with no temp files
 * left. Everything runs as a non-root user with password-less sudo.
 */
import { readdirSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { fileSha256 } from '../support/test-bundle.js';
import { etcdctlFromTest, setupApplyEnv, spawnCli, summaryOf, type ApplyEnv } from './apply-env.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/apply-interrupt.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const BIG = '/opt/kubernetes/bin/kube-apiserver';

describe.skipIf(!can.ok)('interrupted apply and sudo user on real hosts', () => {
  let env: ApplyEnv;
  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS, { withUser: 'deploy', padBytes: 200 * 1024 * 1024, padOnly: ['kube-apiserver'] });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('SIGKILL during a large upload leaves no partial binary, and the next apply converges', async () => {
    const cp1 = env.group.host('cp1');
    const binDir = cp1.path('/opt/kubernetes/bin');
    const child = spawnCli(['apply', '-i', env.inventory], env.dir);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until the big file is half-way through its temp file on the host, then kill -9.
    const deadline = Date.now() + 240_000;
    let killedAt = 0;
    while (Date.now() < deadline && child.exitCode === null) {
      const tmp = safeList(binDir).find((n) => n.startsWith('kube-apiserver.kubesmith-tmp-'));
      if (tmp && safeSize(`${binDir}/${tmp}`) > 20 * 1024 * 1024) {
        killedAt = safeSize(`${binDir}/${tmp}`);
        child.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => child.once('close', r));
    expect(killedAt, `never saw the upload in progress; CLI output:\n${stderr}`).toBeGreaterThan(0);
    expect(child.signalCode).toBe('SIGKILL');
    // The target is either absent (first install) or complete: never a prefix of the upload.
    const before = safeSize(cp1.path(BIG)) > 0 ? await fileSha256(cp1.path(BIG)) : undefined;

    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0); // the killed run's lock died with its SSH connection
    const after = await fileSha256(cp1.path(BIG));
    if (before !== undefined) expect(before).toBe(after);
    expect(safeSize(cp1.path(BIG))).toBeGreaterThan(200 * 1024 * 1024);
    for (const h of env.group.hosts) {
      const left = await h.ssh('find / -xdev -name "*.kubesmith-tmp-*" 2>/dev/null');
      expect(left.stdout.trim(), `${h.name} temp files`).toBe('');
    }
    const again = await env.apply();
    expect(summaryOf(again).map((s) => [s.host, s.changed, s.restarted.length])).toEqual(HOSTS.map((h) => [h.name, 0, 0]));
  });

  it('Ctrl-C (SIGINT) stops cleanly, ending by SIGINT (exit 130 in a shell), and the next apply converges', async () => {
    await env.group.host('wk1').ssh('rm -f /usr/local/bin/containerd /opt/etcd/bin/etcdctl');
    const child = spawnCli(['apply', '-i', env.inventory], env.dir);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('==> Install binaries')) child.kill('SIGINT');
    });
    // kubesmith ends by the signal itself (src/cli/abort.ts), so a shell reports 128 + 2 = 130.
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('close', (c, s) => r([c, s])));
    expect(signal ?? code, stderr).toBe(code === null ? 'SIGINT' : 130);
    expect(stderr).toMatch(/interrupted/i);
    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run).find((s) => s.host === 'wk1')?.changed).toBeGreaterThanOrEqual(1);
  });

  it('the non-root sudo user deployed the same result: root-owned files, healthy etcd', async () => {
    expect(env.group.user).toBe('deploy');
    const st = await env.group.host('wk1').ssh('stat -c "%U:%G %a" /opt/etcd/ssl/server-key.pem /opt/etcd/bin/etcd');
    expect(st.stdout.trim().split('\n')).toEqual(['root:root 600', 'root:root 755']);
    const health = JSON.parse(etcdctlFromTest(env, HOSTS.map((h) => h.name), ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
  });
});

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
