/**
 * Issue #11: kubesmith itself installs offline. A bastion test host with no route out, no npm and
 * no node_modules (bastion-env.ts) receives only the release tarballs of `npm run dist` and the
 * operator's cluster inputs, and from there kubesmith runs validate, bundle check, pki generate,
 * render and apply against three other test hosts: real sshd, systemd and etcd (Debian's, in
 * release layout; the Kubernetes binaries are the apply tests' stubs, test-bundle.ts). Then the
 * single executable does the same with /usr/bin/node made unusable, and renders byte for byte
 * what kubesmith.cjs rendered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { CLEAN_ENV, OFFLINE, setupBastion, type BastionEnv } from './bastion-env.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/offline-bastion.test.ts skipped: ${can.reason}`);
const TARGETS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];

describe.skipIf(!can.ok)('kubesmith from its release artifact on an air-gapped bastion', () => {
  let env: BastionEnv;
  let started = 0;
  /** Runs kubesmith (`bin`, a path on the bastion) there; logs the command, its time and output. */
  const kubesmith = async (bin: string, args: string): Promise<{ code: number; out: string; err: string }> => {
    const t = performance.now();
    const r = await env.sh(`${CLEAN_ENV} ${bin} ${args}`);
    console.log(`bastion$ ${bin.replace(`${OFFLINE}/`, '')} ${args}  (${((performance.now() - t) / 1000).toFixed(2)} s, exit ${r.code})\n${r.stdout}${r.stderr}`);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  /** etcd's own view, from cp1 with the etcdctl and healthcheck certificate apply installed there. */
  const etcdHealth = async (): Promise<boolean[]> => {
    const endpoints = env.targets.map((h) => `https://${h.ip}:2379`).join(',');
    const ssl = '/opt/etcd/ssl';
    const r = await env.group.host('cp1').ssh(`ETCDCTL_API=3 /opt/etcd/bin/etcdctl --endpoints=${endpoints} --cacert=${ssl}/ca.pem --cert=${ssl}/healthcheck-client.pem --key=${ssl}/healthcheck-client-key.pem endpoint health -w json`);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { health: boolean }[]).map((h) => h.health);
  };

  beforeAll(async () => {
    started = performance.now();
    env = await setupBastion(TARGETS);
    console.log(`setup (npm run dist with the single executable: ${env.dist.seconds.toFixed(1)} s, beside booting 4 hosts; test bundle) ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const r = await env.bastion.ssh('ip route del default');
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await env?.close();
    console.log(`offline-bastion test: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
  });

  it('the bastion has no route out, no npm, no node_modules and no kubesmith checkout; only the artifacts and the operator inputs', async () => {
    expect((await env.sh('ip route show default')).stdout.trim()).toBe('');
    const out = await env.sh('ip route get 1.1.1.1');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/unreachable/i);
    expect((await env.sh('for t in npm npx corepack; do command -v $t; done; ls -d /work /usr/lib/node_modules 2>&1')).stdout).toBe(
      'ls: cannot access \'/work\': No such file or directory\nls: cannot access \'/usr/lib/node_modules\': No such file or directory\n',
    );
    // Every directory of the bastion's root file system (the machine's, less the hidden paths).
    expect((await env.sh('find / -xdev -name node_modules -prune -print 2>/dev/null', 120_000)).stdout).toBe('');
    const v = env.dist.version;
    expect((await env.sh('ls -1')).stdout.trim().split('\n')).toEqual(
      ['SHA256SUMS', 'bundle', 'id_ed25519', 'inventory.yaml', 'known_hosts', `kubesmith-${v}-linux-x64.tar.gz`, `kubesmith-${v}.tar.gz`].sort(),
    );
  });

  it('kubesmith.cjs: checksums, version, validate, bundle check, pki generate, render, apply; etcd 3/3 healthy', async () => {
    const v = env.dist.version;
    const unpack = await env.sh(`sha256sum -c SHA256SUMS && tar -xzf kubesmith-${v}.tar.gz && cd kubesmith-${v} && sha256sum -c --quiet SHA256SUMS`);
    expect(unpack.code, unpack.stdout + unpack.stderr).toBe(0);
    const k = `${OFFLINE}/kubesmith-${v}/kubesmith.cjs`;
    const info = await kubesmith(k, 'version --json');
    expect(JSON.parse(info.out)).toMatchObject({ version: v, build: { layout: 'bundle' } });
    expect((await kubesmith(k, 'validate -i inventory.yaml')).out).toMatch(/OK: cluster airgap/);
    const check = await kubesmith(k, 'bundle check -i inventory.yaml');
    expect(check.code, check.err).toBe(0);
    expect((await kubesmith(k, 'pki generate -i inventory.yaml')).code).toBe(0);
    const render = await kubesmith(k, 'render -i inventory.yaml --out rendered');
    expect(render.code, render.err).toBe(0);
    const apply = await kubesmith(k, 'apply -i inventory.yaml');
    expect(apply.code, apply.err).toBe(0);
    expect(apply.err).toContain('==> Install etcd (3 hosts)');
    expect(await etcdHealth()).toEqual([true, true, true]);
    for (const h of env.targets) expect((await h.ssh('systemctl is-active containerd etcd')).stdout.trim().split('\n'), h.name).toEqual(['active', 'active']);
  });

  it('the single executable, with no usable Node: version, validate, pki generate, the same render, and an apply that repairs a host', async () => {
    const v = env.dist.version;
    // An empty, non-executable file over /usr/bin/node (inside the bastion only): no Node at all.
    const noNode = await env.sh(`touch no-node && mount --bind no-node /usr/bin/node && ${CLEAN_ENV} sh -c 'command -v node || echo no node'`);
    expect(noNode.stdout.trim()).toBe('no node');
    expect((await env.sh(`tar -xzf kubesmith-${v}-linux-x64.tar.gz && cd kubesmith-${v}-linux-x64 && sha256sum -c --quiet SHA256SUMS`)).code).toBe(0);
    const s = `${OFFLINE}/kubesmith-${v}-linux-x64/kubesmith`;
    // Nothing of the build machine's temporary paths in it (they once made every build differ).
    expect((await env.sh(`grep -ac kubesmith-sea- ${s}`)).stdout.trim()).toBe('0');
    expect(JSON.parse((await kubesmith(s, 'version --json')).out)).toMatchObject({ version: v, build: { layout: 'sea' } });
    expect((await kubesmith(s, 'validate -i inventory.yaml')).out).toMatch(/OK: cluster airgap/);
    const pki = await kubesmith(s, 'pki generate -i inventory.yaml');
    expect(pki.code, pki.err).toBe(0);
    expect((await kubesmith(s, 'render -i inventory.yaml --out rendered-sea')).code).toBe(0);
    // The same state renders byte for byte the same, whichever artifact renders it.
    const diff = await env.sh('diff -r rendered rendered-sea');
    expect(diff.code, diff.stdout).toBe(0);
    const wk2 = env.group.host('wk2');
    expect((await wk2.ssh('rm /etc/sysctl.d/99-kubernetes.conf')).code).toBe(0);
    const apply = await kubesmith(s, 'apply -i inventory.yaml');
    expect(apply.code, apply.err).toBe(0);
    expect(wk2.readFile('/etc/sysctl.d/99-kubernetes.conf')).toContain('net.ipv4.ip_forward = 1');
    expect(await etcdHealth()).toEqual([true, true, true]);
  });
});
