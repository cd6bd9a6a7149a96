/**
 * A real 3-member etcd cluster (Debian's etcd-server) on loopback, each member with its issued
 * server and peer certificates and mutual TLS everywhere; etcdctl with apiserver-etcd-client writes
 * and reads a key, and a client certificate from the kubernetes CA is refused.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { freePort } from '../support/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { writeBundle } from '../support/pki-files.js';
import { ETCD_BIN, ETCDCTL_BIN } from '../support/etcd-bin.js';

const ETCD = ETCD_BIN;
const ETCDCTL = ETCDCTL_BIN;
const have = existsSync(ETCD) && existsSync(ETCDCTL);
if (!have && process.env.CI === 'true') throw new Error('etcd-server/etcd-client are missing: CI must install them');
if (!have) console.warn('skipping the real etcd test: /usr/bin/etcd or /usr/bin/etcdctl not found (apt-get install etcd-server etcd-client)');


const members = ['master01', 'node01', 'node02'];
const procs: ChildProcess[] = [];
let dir = '';
let clientPorts: number[] = [];
const logs = new Map<string, string>();

function etcdctl(endpoint: string, cert: string, key: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(ETCDCTL, [`--endpoints=${endpoint}`, `--cacert=${join(dir, 'etcd-ca.crt')}`, `--cert=${cert}`, `--key=${key}`, '--dial-timeout=3s', '--command-timeout=5s', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!have)('a real etcd cluster with the issued certificates', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubesmith-etcd-'));
    const inv = exampleInventory();
    writeBundle(inv, await pkiFixture(inv), dir);
    clientPorts = await Promise.all(members.map(() => freePort()));
    const peerPorts = await Promise.all(members.map(() => freePort()));
    const initial = members.map((m, i) => `${m}=https://127.0.0.1:${peerPorts[i]}`).join(',');
    members.forEach((m, i) => {
      const ca = join(dir, 'etcd-ca.crt');
      const args = [
        `--name=${m}`,
        `--data-dir=${join(dir, `data-${m}`)}`,
        `--listen-client-urls=https://127.0.0.1:${clientPorts[i]}`,
        `--advertise-client-urls=https://127.0.0.1:${clientPorts[i]}`,
        `--listen-peer-urls=https://127.0.0.1:${peerPorts[i]}`,
        `--initial-advertise-peer-urls=https://127.0.0.1:${peerPorts[i]}`,
        `--initial-cluster=${initial}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=kubesmith-test',
        `--cert-file=${join(dir, `etcd-server@${m}.crt`)}`,
        `--key-file=${join(dir, `etcd-server@${m}.key`)}`,
        `--trusted-ca-file=${ca}`,
        '--client-cert-auth=true',
        `--peer-cert-file=${join(dir, `etcd-peer@${m}.crt`)}`,
        `--peer-key-file=${join(dir, `etcd-peer@${m}.key`)}`,
        `--peer-trusted-ca-file=${ca}`,
        '--peer-client-cert-auth=true',
        '--listen-metrics-urls=http://127.0.0.1:0',
      ];
      // Logs go to files, not pipes: spawnSync(etcdctl) blocks our event loop, and a full pipe would stall etcd.
      const logFile = join(dir, `${m}.log`);
      const fd = openSync(logFile, 'a');
      procs.push(spawn(ETCD, args, { stdio: ['ignore', fd, fd] }));
      closeSync(fd);
      logs.set(m, logFile);
    });
    const client = join(dir, 'etcd-healthcheck-client');
    const tail = (): string => [...logs.entries()].map(([m, f]) => `--- ${m}\n${readFileSync(f, 'utf8').slice(-1500)}`).join('\n');
    const deadline = Date.now() + 120_000;
    for (;;) {
      const h = etcdctl(members.map((_, i) => `https://127.0.0.1:${clientPorts[i]}`).join(','), `${client}.crt`, `${client}.key`, ['endpoint', 'health']);
      if (h.ok) break;
      const dead = procs.findIndex((p) => p.exitCode !== null);
      if (dead >= 0) throw new Error(`etcd member ${members[dead]} exited with ${procs[dead]!.exitCode}:\n${tail()}`);
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy:\n${h.out}\n${tail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 150_000);

  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
  });

  it('forms a 3-member cluster over peer TLS (peer certs accepted by every member)', () => {
    const c = join(dir, 'etcd-healthcheck-client');
    const r = etcdctl(`https://127.0.0.1:${clientPorts[0]}`, `${c}.crt`, `${c}.key`, ['member', 'list', '-w', 'simple']);
    expect(r.ok, r.out).toBe(true);
    for (const m of members) expect(r.out).toContain(`, started, ${m}, `);
  });

  it('lets kube-apiserver\'s etcd client write on one member and read on another', () => {
    const c = join(dir, 'apiserver-etcd-client');
    expect(etcdctl(`https://127.0.0.1:${clientPorts[0]}`, `${c}.crt`, `${c}.key`, ['put', '/registry/kubesmith', 'hello']).out).toContain('OK');
    const got = etcdctl(`https://127.0.0.1:${clientPorts[2]}`, `${c}.crt`, `${c}.key`, ['get', '/registry/kubesmith', '--print-value-only']);
    expect(got.ok, got.out).toBe(true);
    expect(got.out.trim()).toBe('hello');
  });

  it('refuses a client certificate signed by the kubernetes CA instead of the etcd CA', () => {
    const c = join(dir, 'admin');
    const r = etcdctl(`https://127.0.0.1:${clientPorts[1]}`, `${c}.crt`, `${c}.key`, ['get', '/registry/kubesmith']);
    expect(r.ok).toBe(false);
    expect(r.out).not.toContain('hello');
    // the member itself says why: the kubernetes CA is not its trust root
    expect(readFileSync(logs.get('node01')!, 'utf8')).toMatch(/rejected connection.*tls: failed to verify (client )?certificate: x509: certificate signed by unknown authority/); // Go 1.20 / Go 1.26 wording
  });
});
