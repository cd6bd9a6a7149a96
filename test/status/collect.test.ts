/**
 * collectStatus and formatStatusReport against fake apiservers (no kube-apiserver binary exists
 * here: test/support/fake-apiserver.ts, extended additively with a configurable /readyz for these
 * tests; Leases and Nodes use its generic object store). TLS, client-certificate auth, the
 * KubeClient and every collector are the real ones; etcd is covered against a real etcd in
 * etcd.test.ts, so here its hosts are unreachable or skipped.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CheckRow } from '../../src/pki/check.js';
import { collectStatus, type StatusSources } from '../../src/status/collect.js';
import { etcdctlPaths } from '../../src/status/etcd.js';
import { formatStatusReport } from '../../src/status/format.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { servingCsr } from '../support/kubelet-csr.js';
import { makeTestPki, type TestPki } from '../kube/support/test-pki.js';
import { adminClient, CSRS, LEASES, lease, node, NODES, wireCsr } from './support/cluster.js';

let pki: TestPki;
const servers: FakeApiServer[] = [];
const inventory = exampleInventory();
const DAY = 86_400_000;

beforeAll(() => {
  pki = makeTestPki();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(opts: Parameters<typeof startFakeApiServer>[1] = {}): Promise<FakeApiServer> {
  const s = await startFakeApiServer(pki, opts);
  servers.push(s);
  return s;
}

function certRows(now: Date): readonly CheckRow[] {
  const row = (id: string, days: number, status: CheckRow['status'] = days > 0 ? 'ok' : 'expired'): CheckRow => ({
    id, kind: id.endsWith('-ca') ? 'ca' : 'leaf', expires: new Date(now.getTime() + days * DAY), residualMs: days * DAY,
    signedBy: '', algorithm: 'RSA 2048', externallyManaged: false, status,
  });
  return [row('kubernetes-ca', 3600), row('etcd-ca', 3600), row('apiserver', 364), row('admin', 12), row('front-proxy-client', -1)];
}

/** A populated cluster: master02's apiserver fails /readyz, node01 has DiskPressure, the scheduler lease is stale. */
async function populated(now: Date): Promise<StatusSources> {
  const a = await fake();
  const b = await fake({ readyz: { status: 500, body: '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n' } });
  a.put(NODES, node('master01', '192.168.80.10', 'True'));
  a.put(NODES, node('master02', '192.168.80.20', 'True'));
  a.put(NODES, node('node01', '192.168.80.11', 'True', ['DiskPressure']));
  a.put(NODES, node('node02', '192.168.80.12', 'True'));
  a.put(LEASES, lease('kube-controller-manager', 'master01_5f0c', now, 2));
  a.put(LEASES, lease('kube-scheduler', 'master02_77aa', now, 120));
  a.put(CSRS, wireCsr(await servingCsr('node01', '192.168.80.11')));
  a.put(CSRS, wireCsr(await servingCsr('node02', '10.9.9.9')));
  return {
    inventory, now,
    apiservers: [{ host: 'master01', client: adminClient(pki, a) }, { host: 'master02', client: adminClient(pki, b) }],
    etcd: [
      { host: 'master01', endpoint: 'https://192.168.80.10:2379', reader: new Error('master01: ssh: connect ECONNREFUSED 192.168.80.10:22') },
    ],
    etcdPaths: etcdctlPaths(inventory),
    pkiRows: () => certRows(now),
  };
}

describe('collectStatus', () => {
  it('gathers every section and names each problem and warning', async () => {
    const now = new Date();
    const r = await collectStatus(await populated(now));
    expect(r.healthy).toBe(false);
    expect(r.version).toBe('v1.31.2');
    expect(r.readyz).toEqual({ ok: true, detail: 'ok' });
    expect(r.apiservers.map((a) => [a.host, a.ready, a.detail])).toEqual([
      ['master01', true, 'ok'],
      ['master02', false, 'HTTP 500: [-]etcd failed: reason withheld'],
    ]);
    expect(r.leaders.map((l) => [l.component, l.holder, l.expired, l.renewedAgoSeconds])).toEqual([
      ['kube-controller-manager', 'master01_5f0c', false, 2],
      ['kube-scheduler', 'master02_77aa', true, 120],
    ]);
    expect(r.nodes.find((n) => n.name === 'node01')).toMatchObject({ status: 'Ready', conditions: ['DiskPressure'], problem: 'DiskPressure: see `kubectl describe node node01`' });
    expect(r.csrs).toMatchObject({ pending: 2, approvable: 1, leftForHuman: 1 });
    expect(r.csrs.rows.map((c) => c.decision)).toEqual(expect.arrayContaining(['approve', 'ignore']));
    expect(r.csrs.rows.find((c) => c.decision === 'ignore')?.reason).toContain('10.9.9.9');
    expect(r.certificates).toMatchObject({ total: 5, ok: 3, soonest: { id: 'admin', residual: '12d' } });
    expect(r.certificates.attention.map((c) => [c.id, c.status])).toEqual([['admin', 'expiring'], ['front-proxy-client', 'expired']]);
    expect(r.problems).toEqual([
      'apiserver master02: HTTP 500: [-]etcd failed: reason withheld',
      'etcd master01: ssh: connect ECONNREFUSED 192.168.80.10:22',
      'kube-scheduler: no leader (lease last renewed ' + String(r.leaders[1]?.renewTime) + ' by master02_77aa)',
      'node node01: DiskPressure: see `kubectl describe node node01`',
      expect.stringMatching(/^certificate front-proxy-client: expired \(expires /),
    ]);
    expect(r.warnings).toEqual([
      '2 CSR(s) pending: 1 kubesmith would approve (`kubesmith approve`), 1 left for a human',
      expect.stringMatching(/^certificate admin: expiring \(expires /),
    ]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // --json prints the same data
  });

  it('keeps going when hosts and the API are unreachable: error rows, never a throw', async () => {
    const now = new Date();
    const src = await populated(now);
    // master01 unreachable over SSH: the cluster-wide sections use master02 although its /readyz fails.
    const r = await collectStatus({ ...src, apiservers: [{ host: 'master01', client: new Error('master01: ssh: handshake failed') }, src.apiservers[1]!] });
    expect(r.apiservers[0]).toEqual({ host: 'master01', endpoint: '-', ready: false, detail: 'ssh: handshake failed' });
    expect(r.readyz.ok).toBe(false);
    // master02's fake holds no Node objects but answers: every inventory node shows as not registered.
    expect(r.nodes.map((n) => `${n.name} ${n.status}`)).toEqual(['master01 missing', 'master02 missing', 'node01 missing', 'node02 missing']);
    expect(r.nodesError).toBeUndefined();

    const none = await collectStatus({ ...src, apiservers: [{ host: 'master01', client: new Error('refused') }], pkiRows: () => { throw new Error('/state/pki/admin.crt: not a PEM certificate'); } });
    expect(none.nodesError).toBe('no apiserver could be reached (see the apiserver rows)');
    expect(none.csrs.error).toBe('no apiserver could be reached (see the apiserver rows)');
    expect(none.leaders[0]).toMatchObject({ expired: true });
    expect(none.certificates.error).toBe('/state/pki/admin.crt: not a PEM certificate');
    expect(none.etcd.members).toHaveLength(1);
    expect(none.healthy).toBe(false);
  });

  it('reports a stopped apiserver (connection refused) in its row', async () => {
    const now = new Date();
    const src = await populated(now);
    const gone = await fake();
    const client = adminClient(pki, gone);
    await gone.close();
    const r = await collectStatus({ ...src, apiservers: [{ host: 'master01', client }, src.apiservers[1]!] });
    expect(r.apiservers[0]?.ready).toBe(false);
    expect(r.apiservers[0]?.detail).toMatch(/ECONNREFUSED|refused/);
  });
});

describe('formatStatusReport', () => {
  it('prints aligned tables per section and the verdict; colour only when asked', async () => {
    const now = new Date();
    const r = await collectStatus({ ...(await populated(now)), etcd: { skipped: 'testing' } });
    const plain = formatStatusReport(r, now, false);
    expect(plain).not.toContain('\u001b[');
    const lines = plain.split('\n');
    expect(lines[0]).toMatch(/^API: {4}https:\/\/127\.0\.0\.1:\d+ as O=kubeadm:cluster-admins, CN=kubernetes-admin: v1\.31\.2, readyz ok$/);
    const header = lines.find((l) => l.startsWith('LEADER ELECTION')) ?? '';
    const sched = lines.find((l) => l.startsWith('kube-scheduler ')) ?? '';
    expect(sched.indexOf('master02_77aa (expired)')).toBe(header.indexOf('HOLDER'));
    expect(sched).toMatch(/2m ago$/);
    expect(plain).toContain('ETCD:   not checked: testing');
    expect(lines.find((l) => l.startsWith('master02 '))).toMatch(/^master02\s+https:\/\/127\.0\.0\.1:\d+\s+failed\s+HTTP 500: \[-\]etcd failed: reason withheld$/);
    expect(plain).toMatch(/\nCSR\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+DECISION\s+REASON\n/);
    expect(plain).toMatch(/Certs: {2}3\/5 ok \(local PKI state, warning at 30d\); soonest: admin in 12d/);
    expect(plain).toContain('NOT healthy: 4/4 nodes Ready, etcd not checked, 1/2 apiservers ready');
    expect(plain).toContain('  problem: kube-scheduler: no leader');
    expect(plain).toContain('  warning: etcd not checked: testing');

    const colored = formatStatusReport(r, now, true);
    expect(colored).toContain('\u001b[31mfailed');
    // eslint-disable-next-line no-control-regex
    expect(colored.replace(/\u001b\[\d+m/g, '')).toBe(plain); // colour never changes alignment
  });
});
