/**
 * etcd health through /livez and /readyz (etcd 3.6+) and through `etcdctl endpoint health` (3.5),
 * for `status` and for apply's etcd report, against a REAL 3-member etcd cluster with TLS and
 * certificates from the production CA code. The etcd here is Debian sid's 3.5.30
 * (test/support/etcd-bin.ts): 3.5.11 backported /livez and /readyz (etcd CHANGELOG-3.5, #17039),
 * with the same handlers 3.6 has, so the 3.6 code path runs for real against it; no etcd 3.6
 * binary is available here. The answer of a member that is not ready (HTTP 503 with failed checks)
 * cannot be produced quickly on a real cluster, so that case uses a recorded answer in etcd's format.
 * The deploy report runs with a reader that maps the plan's remote paths and endpoints to this
 * machine's; the argv is otherwise exactly what runs over SSH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdReport, healthProbe } from '../../src/deploy/phases/_etcd-health.js';
import type { PhaseContext } from '../../src/deploy/phase.js';
import type { HostReader } from '../../src/deploy/ssh/connection.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import { collectEtcd, etcdctlPaths, etcdMemberRow, type EtcdctlPaths } from '../../src/status/etcd.js';
import { httpHealthArgv, parseHttpHealth, usesHttpHealth } from '../../src/status/etcd-http-health.js';
import { realPlan } from '../deploy/phases/_real-plan.js';
import { ETCD_BIN, ETCDCTL_BIN } from '../support/etcd-bin.js';
import { freePort } from '../support/free-port.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { writeBundle } from '../support/pki-files.js';
import { localReader } from './support/local-reader.js';
import { waitForHealthyEtcd } from './support/wait-healthy.js';

const have = existsSync(ETCD_BIN) && ETCD_BIN.startsWith('/opt/kubesmith-test/');
if (!have && process.env.CI === 'true') throw new Error('etcd 3.5.30 is missing: .ci/run unpacks it into /opt/kubesmith-test/etcd');

describe('version selection and the parser', () => {
  it('uses /livez and /readyz from etcd 3.6 on, etcdctl endpoint health for 3.5', () => {
    expect(['v3.5.30', 'v3.6.0', 'v3.6.11', 'v3.7.0'].map(usesHttpHealth)).toEqual([false, true, true, true]);
    expect(etcdctlPaths(exampleInventory()).httpHealth).toBe(true);
    expect(etcdctlPaths(exampleInventory({ cluster: { ...exampleInventory().cluster, etcdVersion: 'v3.5.30' } })).httpHealth).toBe(false);
  });

  it('names the failed checks of a member that is not ready (recorded 503 answer in etcd\'s format)', () => {
    const recorded = [
      '--- kubesmith etcd livez https://10.0.0.1:2379',
      'ok',
      '200 0.004113',
      '--- kubesmith etcd readyz https://10.0.0.1:2379',
      '[+]data_corruption ok',
      '[+]serializable_read ok',
      '[-]linearizable_read failed: etcdserver: leader changed',
      '[+]non_learner ok',
      '',
      '503 2.001234',
    ].join('\n');
    expect(parseHttpHealth(recorded)).toEqual([{ endpoint: 'https://10.0.0.1:2379', health: false, took: '2001.2ms', error: 'readyz: linearizable_read failed: etcdserver: leader changed' }]);
  });

  it('picks the probe for the deploy report by the inventory\'s etcd version', async () => {
    const plan = await realPlan();
    const host = plan.hosts.find((h) => h.host.name === 'master01');
    if (!host) throw new Error('no master01');
    const http = healthProbe(plan, host, ['https://192.168.80.10:2379']);
    expect(http?.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(http?.argv.slice(3)).toEqual(['etcd-health', '/opt/etcd/ssl/ca.pem', '/opt/etcd/ssl/healthcheck-client.pem', '/opt/etcd/ssl/healthcheck-client-key.pem', 'https://192.168.80.10:2379']);
    const old = healthProbe({ ...plan, inventory: { ...plan.inventory, cluster: { ...plan.inventory.cluster, etcdVersion: 'v3.5.30' } } }, host, ['https://192.168.80.10:2379']);
    expect(old?.argv.slice(0, 1)).toEqual(['/opt/etcd/bin/etcdctl']);
    expect(old?.argv.slice(-2)).toEqual(['endpoint', 'health']);
  });
});

describe.skipIf(!have)('against a real 3-member etcd 3.5.30 with TLS', () => {
  const members = ['master01', 'node01', 'node02'];
  const ips = ['192.168.80.10', '192.168.80.11', '192.168.80.12'];
  const procs = new Map<string, ChildProcess>();
  let dir = '';
  let endpoints: string[] = [];
  let paths: EtcdctlPaths;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubesmith-etcd-livez-'));
    const inv = exampleInventory();
    writeBundle(inv, await pkiFixture(inv), dir);
    const client = await Promise.all(members.map(() => freePort()));
    const peer = await Promise.all(members.map(() => freePort()));
    endpoints = client.map((p) => `https://127.0.0.1:${p}`);
    const ca = join(dir, 'etcd-ca.crt');
    const initial = members.map((m, i) => `${m}=https://127.0.0.1:${peer[i]}`).join(',');
    members.forEach((m, i) => {
      procs.set(m, spawn(ETCD_BIN, [
        `--name=${m}`, `--data-dir=${join(dir, `data-${m}`)}`,
        `--listen-client-urls=${endpoints[i]}`, `--advertise-client-urls=${endpoints[i]}`,
        `--listen-peer-urls=https://127.0.0.1:${peer[i]}`, `--initial-advertise-peer-urls=https://127.0.0.1:${peer[i]}`,
        `--initial-cluster=${initial}`, '--initial-cluster-state=new', '--initial-cluster-token=kubesmith-livez',
        `--cert-file=${join(dir, `etcd-server@${m}.crt`)}`, `--key-file=${join(dir, `etcd-server@${m}.key`)}`, `--trusted-ca-file=${ca}`, '--client-cert-auth=true',
        `--peer-cert-file=${join(dir, `etcd-peer@${m}.crt`)}`, `--peer-key-file=${join(dir, `etcd-peer@${m}.key`)}`, `--peer-trusted-ca-file=${ca}`, '--peer-client-cert-auth=true',
        '--listen-metrics-urls=http://127.0.0.1:0',
      ], { stdio: 'ignore' }));
    });
    paths = { bin: ETCDCTL_BIN, cacert: ca, cert: join(dir, 'etcd-healthcheck-client.crt'), key: join(dir, 'etcd-healthcheck-client.key'), httpHealth: true };
    await waitForHealthyEtcd(targets, paths);
  }, 90_000);

  afterAll(() => {
    for (const p of procs.values()) p.kill('SIGKILL');
  });

  const targets = () => members.map((m, i) => ({ host: m, endpoint: endpoints[i] ?? '', reader: localReader(m) }));

  /** Runs the plan's remote argv here: remote credential paths, etcdctl and member URLs mapped to local ones. */
  function mappedReader(calls: string[][] = []): HostReader {
    const base = localReader('master01');
    const map: [string, string][] = [
      ['/opt/etcd/ssl/ca.pem', paths.cacert],
      ['/opt/etcd/ssl/healthcheck-client-key.pem', paths.key],
      ['/opt/etcd/ssl/healthcheck-client.pem', paths.cert],
      ['/opt/etcd/bin/etcdctl', ETCDCTL_BIN],
      ...ips.map((ip, i): [string, string] => [`https://${ip}:2379`, endpoints[i] ?? '']),
    ];
    const local = (s: string): string => map.reduce((acc, [from, to]) => acc.split(from).join(to), s);
    const remote = (s: string): string => map.slice(4).reduce((acc, [from, to]) => acc.split(to).join(from), s);
    return {
      ...base,
      probe: async (argv, opts) => {
        calls.push([...argv]);
        const r = await base.probe(argv.map(local), opts);
        return { ...r, stdout: remote(r.stdout), stderr: remote(r.stderr) };
      },
    };
  }

  const ctx = (): PhaseContext => ({ signal: new AbortController().signal, deadline: Date.now() + 20_000, clock: { now: () => new Date() }, dryRun: false });

  it('status: /livez and /readyz say every member is healthy; etcdctl endpoint status still gives version and leader', async () => {
    const rows = await collectEtcd(targets(), paths);
    expect(rows.map((r) => [r.host, r.healthy, r.error])).toEqual(members.map((m) => [m, true, undefined]));
    expect(rows.filter((r) => r.isLeader)).toHaveLength(1);
    for (const r of rows) {
      expect(r.version).toMatch(/^3\.5\.\d+$/);
      expect(r.took).toMatch(/^[\d.]+ms$/);
    }
  });

  it('status for 3.5 (etcdctl endpoint health) agrees', async () => {
    const rows = await collectEtcd(targets(), { ...paths, httpHealth: false });
    expect(rows.map((r) => r.healthy)).toEqual([true, true, true]);
  });

  it('the probe script against a live and a closed port: healthy, and curl\'s reason for the other', async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    const r = await localReader('x').probe(httpHealthArgv(paths, [endpoints[0] ?? '', closed]));
    expect(r.exitCode).toBe(0);
    const rows = parseHttpHealth(r.stdout);
    expect(rows[0]).toMatchObject({ endpoint: endpoints[0], health: true });
    expect(rows[1]).toMatchObject({ endpoint: closed, health: false });
    expect(rows[1]?.error).toMatch(/^livez: curl: \(7\) .*; readyz: curl: \(7\) /);
  });

  it('a client certificate the etcd CA did not sign gets no health answer', async () => {
    const rows = await collectEtcd(targets().slice(0, 1), { ...paths, cert: join(dir, 'admin.crt'), key: join(dir, 'admin.key') });
    expect(rows[0]?.healthy).toBe(false);
    expect(rows[0]?.error).toMatch(/livez: curl: \(\d+\)/);
  });

  for (const etcdVersion of ['v3.7.0', 'v3.5.30']) {
    it(`apply's etcd report (${etcdVersion} inventory) shows every member healthy with the leader`, async () => {
      const plan: ClusterPlan = await realPlan(exampleInventory({ cluster: { ...exampleInventory().cluster, etcdVersion } }));
      const calls: string[][] = [];
      const reader = mappedReader(calls);
      const report = await etcdReport(new Map([['master01', reader], ['node01', mappedReader()], ['node02', mappedReader()]]), plan, ctx());
      expect(report?.failures).toEqual([]);
      expect(report?.rows.map((r) => [r[0], r[1], r[2]])).toEqual(members.map((m, i) => [m, `https://${ips[i]}:2379`, 'healthy']));
      expect(report?.rows.filter((r) => r[6] === 'true')).toHaveLength(1);
      // One curl command for health and status (no etcdctl process); the status columns come from etcd's gateway.
      expect(calls.map((c) => c[0])).toEqual(['sh']);
      expect(calls[0]?.[3]).toBe('etcd-report');
      for (const r of report?.rows ?? []) {
        expect(r[3]).toMatch(/^[\d.]+ms$/);
        expect(r[4]).toMatch(/^3\.5\.\d+$/);
        expect(r[5]).toMatch(/^\d+ kB$/);
        expect(Number(r[7])).toBeGreaterThan(0);
        expect(Number(r[8])).toBeGreaterThan(0);
      }
    }, 30_000);
  }

  it('apply\'s etcd report on a host without curl asks etcdctl as before, with the same table', async () => {
    const plan: ClusterPlan = await realPlan(exampleInventory({ cluster: { ...exampleInventory().cluster, etcdVersion: 'v3.5.30' } }));
    const calls: string[][] = [];
    const withCurl = mappedReader(calls);
    const noCurl: HostReader = { ...withCurl, probe: async (argv, opts) => (argv[3] === 'etcd-report' ? { exitCode: 127, stdout: '', stderr: '' } : withCurl.probe(argv, opts)) };
    const report = await etcdReport(new Map([['master01', noCurl]]), plan, ctx());
    expect(report?.rows.map((r) => [r[0], r[2]])).toEqual([['master01', 'healthy']]);
    expect(report?.rows[0]?.[4]).toMatch(/^3\.5\.\d+$/);
    expect(calls.map((c) => c.slice(-2).join(' ')).sort()).toEqual(['endpoint health', 'endpoint status']);
  }, 30_000);

  it('a stopped member is unhealthy in both, with the reason, while the others stay healthy', async () => {
    const victim = procs.get('node02');
    victim?.kill('SIGKILL');
    await new Promise((r) => victim?.once('exit', r));
    // If node02 led, the other two re-elect first (readyz's linearizable read fails meanwhile).
    let rows = await collectEtcd(targets(), paths);
    for (const until = Date.now() + 15_000; !(rows[0]?.healthy && rows[1]?.healthy) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 300));
      rows = await collectEtcd(targets(), paths);
    }
    expect(rows.map((r) => r.healthy)).toEqual([true, true, false]);
    expect(rows[2]?.error).toMatch(/livez: curl: \(7\)/);
    const plan = await realPlan();
    const report = await etcdReport(new Map(members.map((m) => [m, mappedReader()])), plan, { ...ctx(), deadline: Date.now() + 2_000 });
    expect(report?.rows.map((r) => r[2]?.split(':')[0])).toEqual(['healthy', 'healthy', 'unhealthy']);
    expect(report?.failures.map((f) => f.host)).toEqual(['node02']);
    // etcd 3.5 (/health): the same verdict, with curl's reason for the stopped member.
    const old = await realPlan(exampleInventory({ cluster: { ...exampleInventory().cluster, etcdVersion: 'v3.5.30' } }));
    const report35 = await etcdReport(new Map(members.map((m) => [m, mappedReader()])), old, { ...ctx(), deadline: Date.now() + 2_000 });
    expect(report35?.rows.map((r) => r[2]?.split(':')[0])).toEqual(['healthy', 'healthy', 'unhealthy']);
    expect(report35?.rows[2]?.[2]).toMatch(/^unhealthy: health: curl: \(7\)/);
    expect(report35?.rows[2]?.[4]).toBe('');
    expect(report35?.failures.map((f) => f.host)).toEqual(['node02']);
  }, 60_000);

  it('etcdMemberRow reads either health format', () => {
    const http = '--- kubesmith etcd livez e\nok\n200 0.001\n--- kubesmith etcd readyz e\nok\n200 0.002\n--- kubesmith etcd status ---\n[{"Endpoint":"e","Status":{"header":{"member_id":1},"leader":1,"version":"3.6.11"}}]';
    expect(etcdMemberRow('h', 'e', http, '')).toMatchObject({ healthy: true, took: '2ms', isLeader: true, version: '3.6.11' });
  });
});
