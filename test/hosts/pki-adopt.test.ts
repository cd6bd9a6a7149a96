/**
 * `pki adopt --from HOST:/opt/kubernetes/ssl,/opt/etcd/ssl` against a real host (systemd-nspawn,
 * real sshd, host keys checked against known_hosts as apply does): the classic guide's files put on
 * the host (keys root-owned, 0600) give the same report and the same imported state as adopting the
 * same files locally; the host's files are not touched; a host whose key is not known is refused.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';
import { handmadePki } from '../support/handmade-pki.js';
import { bootHosts, canBootHosts, type TestHost, type TestHostGroup } from '../support/test-hosts.js';
import { snapshotTree } from '../support/tree-snapshot.js';

const can = canBootHosts();
if (!can.ok) console.warn(`skipping pki adopt host tests: ${can.reason}`);

describe.skipIf(!can.ok)('pki adopt from a host over SSH', () => {
  let g: TestHostGroup;
  let h1: TestHost;
  let work = '';
  let local = { k8s: '', etcd: '' };

  const inventory = (dir: string, knownHostsFile: string): void =>
    writeFileSync(join(dir, 'inventory.yaml'), [
      'apiVersion: kubesmith/v1alpha1',
      'cluster: { name: demo, kubernetesVersion: v1.31.2 }',
      `ssh: { user: root, identityFile: ${g.keyFile}, agent: false, knownHostsFile: ${knownHostsFile}, hostKeyPolicy: strict, connectTimeoutSeconds: 5 }`,
      'hosts:',
      `  - { name: h1, address: ${h1.ip}, roles: [control-plane, etcd, worker] }`,
      '',
    ].join('\n'));
  const cli = (cwd: string, ...argv: string[]): Promise<CliResult> => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } });
  const cluster = (knownHostsFile = g.knownHostsFile): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-adopt-host-'));
    inventory(dir, knownHostsFile);
    return dir;
  };

  beforeAll(async () => {
    g = await bootHosts({ count: 1 });
    h1 = g.hosts[0]!;
    work = mkdtempSync(join(tmpdir(), 'ks-adopt-host-pki-'));
    local = handmadePki(work, { masters: [h1.ip], etcd: [h1.ip], serviceIP: '10.0.0.1' });
    cpSync(local.k8s, h1.path('/opt/kubernetes/ssl'), { recursive: true });
    cpSync(local.etcd, h1.path('/opt/etcd/ssl'), { recursive: true });
    const r = await h1.ssh('chown -R root:root /opt/kubernetes /opt/etcd && chmod 600 /opt/kubernetes/ssl/*-key.pem /opt/etcd/ssl/*-key.pem');
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await g?.shutdown();
  });

  it('reads read-only over SSH and reports exactly what adopting the same files locally reports; --write imports the same state', async () => {
    // Only the certificate directories: the host's /opt is an overlay of the machine's, with big test binaries.
    const hostFiles = (): string[] => [...snapshotTree(h1.path('/opt/kubernetes')), ...snapshotTree(h1.path('/opt/etcd'))].map(([k, v]) => `${k} ${v}`);
    const before = hostFiles();
    const remoteDir = cluster();
    const remote = await cli(remoteDir, 'pki', 'adopt', '-i', 'inventory.yaml', '--from', 'h1:/opt/kubernetes/ssl,/opt/etcd/ssl', '--service-account', 'from-ca', '--json');
    expect(remote.code, remote.err).toBe(0);
    const localDir = cluster();
    const here = await cli(localDir, 'pki', 'adopt', '-i', 'inventory.yaml', '--from', `${local.k8s},${local.etcd}`, '--service-account', 'from-ca', '--json');
    expect(here.code, here.err).toBe(0);
    // The same files: h1:/opt/kubernetes/ssl/ca.pem there, <work>/kubernetes/ssl/ca.pem here.
    const a = JSON.parse(remote.out.replaceAll('h1:/opt/', '/opt/').replaceAll(remoteDir, 'STATE')) as { certificates: { action: string }[]; cas: { action: string }[] };
    const b = JSON.parse(here.out.replaceAll(`${work}/`, '/opt/').replaceAll(localDir, 'STATE'));
    expect(a).toEqual(b);
    expect(a.cas.map((c) => c.action)).toEqual(['adopt', 'adopt', 'missing']);
    expect(a.certificates.filter((c) => c.action === 're-issue')).toHaveLength(5); // etcd server+peer, apiserver, admin, kube-proxy

    const w = await cli(remoteDir, 'pki', 'adopt', '-i', 'inventory.yaml', '--from', 'h1:/opt/kubernetes/ssl,/opt/etcd/ssl', '--service-account', 'from-ca', '--write');
    expect(w.code, w.err).toBe(0);
    expect(w.out).toContain('pki adopt: 20 files read from h1:/opt/kubernetes/ssl, h1:/opt/etcd/ssl');
    const state = join(remoteDir, '.kubesmith/demo/pki');
    expect(readdirSync(state).sort()).toEqual(['cluster.json', 'etcd-ca.crt', 'etcd-ca.key', 'kubernetes-ca.crt', 'kubernetes-ca.key', 'sa.key', 'sa.pub']);
    expect(readFileSync(join(state, 'kubernetes-ca.key'), 'utf8')).toBe(readFileSync(join(local.k8s, 'ca-key.pem'), 'utf8'));
    expect(hostFiles()).toEqual(before);
    expect(before.length).toBeGreaterThan(20);
  });

  it('a host whose key is not in known_hosts is refused before anything is read (strict, as apply)', async () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'ks-kh-')), 'known_hosts');
    writeFileSync(empty, '');
    const dir = cluster(empty);
    const r = await cli(dir, 'pki', 'adopt', '-i', 'inventory.yaml', '--from', 'h1:/opt/kubernetes/ssl', '--service-account', 'from-ca');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/h1: .*host key/i);
    expect(readdirSync(dir)).toEqual(['inventory.yaml']);
  });
});
