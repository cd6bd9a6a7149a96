/**
 * `kubesmith status` end to end over REAL SSH (an OpenSSH server on 127.0.0.1, the production ssh2
 * client, host keys checked against known_hosts): the apiserver is reached through a forwarded
 * channel to the host's 127.0.0.1:<apiServer.port>, where the fake apiserver listens (no
 * kube-apiserver binary exists here; test/support/fake-apiserver.ts), and etcd is probed by the
 * multi-line `sh -c` script run over SSH against a REAL etcd holding certificates issued by the
 * production CA code for this inventory. The inventory's etcd is the v1.31 default (3.6), so health
 * comes from /livez and /readyz (curl over SSH); the etcd is Debian sid's 3.5.30, which serves both
 * (backported in 3.5.11), through test/support/etcd-bin.ts. The etcd member listens on a random 127.x.y.z:2379 (its
 * internalIP), never on 127.0.0.1:2379, where a real etcd may run on this machine. Needs root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/state/load-inventory.js';
import { savePkiState } from '../../src/state/pki-store.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { writeBundle } from '../support/pki-files.js';
import { ETCD_BIN } from '../support/etcd-bin.js';
import { freePort, startLocalSshd, unavailableReason, type LocalSshd } from '../kube/support/local-sshd.js';
import { makeTestPki } from '../kube/support/test-pki.js';
import { LEASES, lease, node, NODES } from './support/cluster.js';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';

const haveEtcd = existsSync(ETCD_BIN) && spawnSync('sh', ['-c', 'command -v etcdctl']).status === 0;
const skip = unavailableReason() ?? (haveEtcd ? undefined : 'etcd-server/etcd-client are not installed');
if (skip && process.env.CI === 'true') throw new Error(`status over SSH cannot run in CI: ${skip}`);
if (skip) console.warn(`skipping status-over-ssh tests: ${skip}`);

const rand = (): number => 1 + Math.floor(Math.random() * 250);
const etcdIp = `127.${rand()}.${rand()}.${rand()}`;

describe.skipIf(skip !== undefined)('kubesmith status through SSH', () => {
  let sshd: LocalSshd;
  let api: FakeApiServer;
  let etcd: ChildProcess | undefined;
  let dir: string;

  const inventoryYaml = (extraHosts: readonly string[]): string => [
    'apiVersion: kubesmith/v1alpha1',
    'cluster:', '  name: demo', '  kubernetesVersion: v1.31.2', '  apiServer:', `    port: ${api.port}`,
    'ssh:', '  user: root', `  port: ${sshd.port}`, `  identityFile: ${sshd.identityFile}`, '  agent: false', `  knownHostsFile: ${sshd.knownHostsFile}`, '  connectTimeoutSeconds: 5',
    'paths:', `  etcd: ${join(dir, 'etcd')}`, `  kubernetes: ${join(dir, 'kubernetes')}`,
    'hosts:',
    `  - { name: master01, address: 127.0.0.1, internalIP: ${etcdIp}, roles: [control-plane, etcd] }`,
    ...extraHosts,
    '',
  ].join('\n');

  async function status(file: string, ...extra: string[]): Promise<CliResult> {
    return runCliCaptured(['status', '-i', file, ...extra], { cwd: dir });
  }

  beforeAll(async () => {
    const pki = makeTestPki();
    [sshd, api] = await Promise.all([startLocalSshd(), startFakeApiServer(pki)]);
    dir = mkdtempSync(join(tmpdir(), 'kubesmith-status-ssh-'));
    writeFileSync(join(dir, 'inventory.yaml'), inventoryYaml([]));
    // etcd credentials issued by the production CA code for this inventory, installed where the
    // inventory's paths.etcd says (there is no <paths.etcd>/bin/etcdctl: PATH fallback).
    const { inventory } = await loadInventory(join(dir, 'inventory.yaml'), dir);
    const certs = join(dir, 'issued');
    writeBundle(inventory, await pkiFixture(inventory), certs);
    const ssl = join(dir, 'etcd', 'ssl');
    mkdirSync(ssl, { recursive: true });
    copyFileSync(join(certs, 'etcd-ca.crt'), join(ssl, 'ca.pem'));
    copyFileSync(join(certs, 'etcd-healthcheck-client.crt'), join(ssl, 'healthcheck-client.pem'));
    copyFileSync(join(certs, 'etcd-healthcheck-client.key'), join(ssl, 'healthcheck-client-key.pem'));
    const peer = await freePort();
    etcd = spawn(ETCD_BIN, [
      '--name=master01', `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=https://${etcdIp}:2379`, `--advertise-client-urls=https://${etcdIp}:2379`,
      `--listen-peer-urls=https://127.0.0.1:${peer}`, `--initial-advertise-peer-urls=https://127.0.0.1:${peer}`,
      `--initial-cluster=master01=https://127.0.0.1:${peer}`, '--initial-cluster-state=new',
      `--cert-file=${join(certs, 'etcd-server@master01.crt')}`, `--key-file=${join(certs, 'etcd-server@master01.key')}`,
      `--trusted-ca-file=${join(certs, 'etcd-ca.crt')}`, '--client-cert-auth=true',
      `--peer-cert-file=${join(certs, 'etcd-peer@master01.crt')}`, `--peer-key-file=${join(certs, 'etcd-peer@master01.key')}`,
      `--peer-trusted-ca-file=${join(certs, 'etcd-ca.crt')}`, '--peer-client-cert-auth=true', '--listen-metrics-urls=http://127.0.0.1:0',
    ], { stdio: 'ignore' });
    await savePkiState(join(dir, '.kubesmith', 'demo', 'pki'), [
      { name: 'kubernetes-ca.crt', content: pki.ca.certPem, secret: false },
      { name: 'admin.crt', content: pki.admin.certPem, secret: false },
      { name: 'admin.key', content: pki.admin.keyPem, secret: true },
    ]);
    const now = new Date();
    api.put(NODES, node('master01', etcdIp, 'True'));
    for (const c of ['kube-controller-manager', 'kube-scheduler']) api.put(LEASES, lease(c, `master01_${c}`, now, 1));
  }, 60_000);

  afterAll(async () => {
    etcd?.kill('SIGKILL');
    await Promise.all([sshd?.stop(), api?.close()]);
  });

  it('is healthy: readyz through the tunnel, etcd leader over SSH, leases, the node (exit 0)', async () => {
    let r = await status('inventory.yaml', '--json');
    for (let i = 0; i < 40 && r.code !== 0; i += 1) {
      await new Promise((res) => setTimeout(res, 250)); // etcd may still be electing itself
      r = await status('inventory.yaml', '--json');
    }
    const s = JSON.parse(r.out) as { healthy: boolean; problems: string[]; endpoint: string; apiservers: unknown[]; etcd: { members: Array<Record<string, unknown>> } };
    expect(s.problems).toEqual([]);
    expect(r.code).toBe(0);
    expect(s.endpoint).toBe(`https://127.0.0.1:${api.port} via ssh master01`);
    expect(s.apiservers).toEqual([{ host: 'master01', endpoint: `https://127.0.0.1:${api.port} via ssh master01`, ready: true, detail: 'ok' }]);
    expect(s.etcd.members).toHaveLength(1);
    expect(s.etcd.members[0]).toMatchObject({ host: 'master01', endpoint: `https://${etcdIp}:2379`, healthy: true, isLeader: true });
    expect(s.etcd.members[0]?.['version']).toMatch(/^3\.5\./);
    expect(api.requests.every((q) => q.method === 'GET')).toBe(true);
  }, 30_000);

  it('shows an etcd host that refuses SSH as an error row and exits 1, the rest intact', async () => {
    const closed = await freePort();
    writeFileSync(join(dir, 'two.yaml'), inventoryYaml([`  - { name: etcd02, address: 127.0.0.1, internalIP: 127.0.0.2, roles: [etcd], ssh: { port: ${closed} } }`]));
    const r = await status('two.yaml');
    if (process.env.SHOW_STATUS) console.log(r.out);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines.find((l) => l.startsWith('etcd02 '))).toMatch(/^etcd02\s+https:\/\/127\.0\.0\.2:2379\s+unreachable\s+.*(refused|ECONNREFUSED)/i);
    expect(lines.find((l) => l.startsWith('master01 ') && l.includes(':2379'))).toMatch(/healthy\s+yes/);
    expect(r.out).toMatch(/NOT healthy: 1\/1 nodes Ready, 1\/2 etcd members healthy, 1\/1 apiservers ready/);
  }, 30_000);
});
