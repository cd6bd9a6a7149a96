/**
 * The etcd section against a REAL 3-member etcd 3.4 cluster (Debian's etcd-server) on loopback
 * ports, with certificates issued by the production CA code (test/support/pki-fixture.ts). Each
 * member is asked through a local-exec HostReader running the exact argv `status` sends over SSH
 * (the SSH path is exercised by the hosts tests). The deployed etcdctl path does not exist here,
 * so these runs also prove the fallback to etcdctl on PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { freePort } from '../support/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEtcd, etcdMemberRow, etcdProbeArgv, parseEtcdJson, type EtcdctlPaths } from '../../src/status/etcd.js';
import { findings } from '../../src/status/verdict.js';
import type { EtcdMemberRow, StatusReport } from '../../src/status/types.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { writeBundle } from '../support/pki-files.js';
import { localReader } from './support/local-reader.js';
import { waitForHealthyEtcd } from './support/wait-healthy.js';

const ETCD = '/usr/bin/etcd';
const have = existsSync(ETCD) && spawnSync('sh', ['-c', 'command -v etcdctl']).status === 0;
if (!have && process.env.CI === 'true') throw new Error('etcd-server/etcd-client are missing: CI must install them');
if (!have) console.warn('skipping the real etcd status test: /usr/bin/etcd or etcdctl not found (apt-get install etcd-server etcd-client)');


const members = ['master01', 'node01', 'node02'];
const procs = new Map<string, ChildProcess>();
let dir = '';
let paths: EtcdctlPaths;
let endpoints: string[] = [];

/** Only the etcd section matters to these verdicts; the rest is healthy and empty. */
function verdictOf(rows: readonly EtcdMemberRow[]): readonly string[] {
  const rest: Omit<StatusReport, 'healthy' | 'problems' | 'warnings' | 'etcd'> = {
    endpoint: '-', identity: '-', version: '-', readyz: { ok: true, detail: 'ok' }, apiservers: [], leaders: [], nodes: [],
    csrs: { pending: 0, approvable: 0, leftForHuman: 0, rows: [] }, certificates: { total: 0, ok: 0, warnDays: 30, attention: [] },
  };
  return findings({ ...rest, etcd: { members: rows } }).problems;
}

const targets = () => members.map((m, i) => ({ host: m, endpoint: endpoints[i] ?? '', reader: localReader(m) }));

describe('etcdctl output parsing', () => {
  it('keeps uint64 member ids exact (JSON numbers would round them)', () => {
    const rows = parseEtcdJson<{ Status: { header: { member_id: string }; leader: string } }>(
      '[{"Endpoint":"e","Status":{"header":{"cluster_id":17237436991929493444,"member_id":9372538179322589801},"leader":9372538179322589801}}]',
    );
    expect(rows[0]?.Status.header.member_id).toBe('9372538179322589801');
    const row = etcdMemberRow('h', 'e', `[{"endpoint":"e","health":true,"took":"1ms"}]\n--- kubesmith etcd status ---\n[{"Endpoint":"e","Status":{"header":{"member_id":9372538179322589801},"leader":9372538179322589801,"version":"3.4.30","dbSize":20480,"raftTerm":2}}]`, '');
    expect(row).toMatchObject({ healthy: true, memberId: (9372538179322589801n).toString(16), isLeader: true, version: '3.4.30', dbSizeBytes: 20480 });
  });

  it('reports etcdctl missing as the member error', () => {
    const row = etcdMemberRow('h', 'e', '', 'etcdctl not found: neither /opt/etcd/bin/etcdctl nor etcdctl on PATH\n');
    expect(row).toMatchObject({ healthy: false, error: 'etcdctl not found: neither /opt/etcd/bin/etcdctl nor etcdctl on PATH' });
  });
});

describe.skipIf(!have)('the etcd section against a real 3-member etcd', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubesmith-status-etcd-'));
    const inv = exampleInventory();
    writeBundle(inv, await pkiFixture(inv), dir);
    const clientPorts = await Promise.all(members.map(() => freePort()));
    const peerPorts = await Promise.all(members.map(() => freePort()));
    endpoints = clientPorts.map((p) => `https://127.0.0.1:${p}`);
    const initial = members.map((m, i) => `${m}=https://127.0.0.1:${peerPorts[i]}`).join(',');
    const ca = join(dir, 'etcd-ca.crt');
    members.forEach((m, i) => {
      const p = spawn(ETCD, [
        `--name=${m}`, `--data-dir=${join(dir, `data-${m}`)}`,
        `--listen-client-urls=${endpoints[i]}`, `--advertise-client-urls=${endpoints[i]}`,
        `--listen-peer-urls=https://127.0.0.1:${peerPorts[i]}`, `--initial-advertise-peer-urls=https://127.0.0.1:${peerPorts[i]}`,
        `--initial-cluster=${initial}`, '--initial-cluster-state=new', '--initial-cluster-token=kubesmith-status',
        `--cert-file=${join(dir, `etcd-server@${m}.crt`)}`, `--key-file=${join(dir, `etcd-server@${m}.key`)}`,
        `--trusted-ca-file=${ca}`, '--client-cert-auth=true',
        `--peer-cert-file=${join(dir, `etcd-peer@${m}.crt`)}`, `--peer-key-file=${join(dir, `etcd-peer@${m}.key`)}`,
        `--peer-trusted-ca-file=${ca}`, '--peer-client-cert-auth=true', '--listen-metrics-urls=http://127.0.0.1:0',
      ], { stdio: 'ignore' });
      procs.set(m, p);
    });
    // The deployed path does not exist on this machine: the script falls back to etcdctl on PATH.
    paths = { bin: join(dir, 'opt-etcd', 'bin', 'etcdctl'), cacert: ca, cert: join(dir, 'etcd-healthcheck-client.crt'), key: join(dir, 'etcd-healthcheck-client.key') };
    await waitForHealthyEtcd(targets, paths);
  }, 90_000);

  afterAll(() => {
    for (const p of procs.values()) p.kill('SIGKILL');
  });

  it('reports every member healthy with one agreed leader, version, db size and the time taken', async () => {
    const rows = await collectEtcd(targets(), paths);
    expect(rows.map((r) => [r.host, r.endpoint, r.healthy])).toEqual(members.map((m, i) => [m, endpoints[i], true]));
    expect(rows.filter((r) => r.isLeader)).toHaveLength(1);
    expect(new Set(rows.map((r) => r.leaderId)).size).toBe(1);
    expect(new Set(rows.map((r) => r.memberId)).size).toBe(3);
    for (const r of rows) {
      expect(r.version).toMatch(/^3\.4\.\d+$/);
      expect(r.dbSizeBytes).toBeGreaterThan(0);
      expect(r.took).toMatch(/^[\d.]+(µs|ms|s)$/);
      expect(r.memberId).toMatch(/^[0-9a-f]+$/);
      expect(r.error).toBeUndefined();
    }
    expect(verdictOf(rows)).toEqual([]);
  });

  it('sends one command per member: sh -c with the deployed etcdctl, its own endpoint and the healthcheck client cert', async () => {
    const t = targets();
    await collectEtcd(t, paths);
    const argv = t[1]?.reader.calls[0] ?? [];
    expect(argv).toEqual(etcdProbeArgv(paths, endpoints[1] ?? ''));
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv).toContain(`--endpoints=${endpoints[1]}`);
    expect(argv).toContain(`--cert=${paths.cert}`);
  });

  it('gives an error row for a host that could not be reached and for wrong credentials, keeping the others', async () => {
    const t = targets();
    const unreachable = { ...t[0]!, reader: new Error('master01: ssh: connect ETIMEDOUT 192.168.80.10:22\nmore detail') };
    const rows = await collectEtcd([unreachable, ...t.slice(1)], paths);
    expect(rows[0]).toEqual({ host: 'master01', endpoint: endpoints[0], healthy: false, error: 'ssh: connect ETIMEDOUT 192.168.80.10:22' });
    expect(rows.slice(1).every((r) => r.healthy)).toBe(true);
    expect(verdictOf(rows)).toEqual(['etcd master01: ssh: connect ETIMEDOUT 192.168.80.10:22']);

    const wrong = await collectEtcd(t.slice(0, 1), { ...paths, cert: join(dir, 'admin.crt'), key: join(dir, 'admin.key') });
    expect(wrong[0]?.healthy).toBe(false);
    expect(wrong[0]?.error).toMatch(/bad certificate|unknown authority|deadline|connection|unhealthy/i);
  });

  it('marks a stopped member unhealthy while the remaining two keep quorum and a leader', async () => {
    const victim = procs.get('node02');
    victim?.kill('SIGKILL');
    await new Promise((r) => victim?.once('exit', r));
    const rows = await collectEtcd(targets(), paths);
    expect(rows.map((r) => r.healthy)).toEqual([true, true, false]);
    expect(rows[2]?.error).toMatch(/connection refused|deadline|unhealthy|failed/i);
    const problems = verdictOf(rows);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^etcd node02: /);
  }, 30_000);
});
