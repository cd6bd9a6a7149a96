/**
 * `kubesmith status` through runCli against the fake apiserver (no kube-apiserver binary exists
 * here; see test/support/fake-apiserver.ts). Node objects are shaped like the kubelet registers them.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serializeToken } from '../../src/pki/bootstrap-token.js';
import type { CsrObject } from '../../src/pki/csr.js';
import { savePkiState } from '../../src/state/pki-store.js';
import { startFakeApiServer, wireCsr, type FakeApiServer } from '../support/fake-apiserver.js';
import { servingCsr } from '../support/kubelet-csr.js';
import { makeTestPki, type TestPki } from './support/test-pki.js';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';

const NODES = '/api/v1/nodes';
const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
let pki: TestPki;
let api: FakeApiServer | undefined;
let dir: string;

beforeAll(async () => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-status-'));
  copyFileSync(new URL('../../inventory.example.yaml', import.meta.url), join(dir, 'inventory.yaml'));
  await savePkiState(join(dir, '.kubesmith', 'demo', 'pki'), [
    { name: 'kubernetes-ca.crt', content: pki.ca.certPem, secret: false },
    { name: 'admin.crt', content: pki.admin.certPem, secret: false },
    { name: 'admin.key', content: pki.admin.keyPem, secret: true },
    { name: 'bootstrap-token.json', content: serializeToken({ id: 'abcdef', secret: '0123456789abcdef', expires: new Date('2020-01-01T00:00:00Z') }), secret: true },
  ]);
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function node(name: string, ip: string, ready: 'True' | 'False'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready }],
      nodeInfo: { kubeletVersion: 'v1.31.2' },
      addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
    },
  };
}

const wire = wireCsr;

async function status(...extra: string[]): Promise<CliResult> {
  return runCliCaptured(['status', '-i', 'inventory.yaml', '--server', api!.url, ...extra], { cwd: dir });
}

describe('kubesmith status', () => {
  it('compares registered nodes with the inventory and names each problem (exit 1)', async () => {
    api = await startFakeApiServer(pki);
    api.put(NODES, node('master01', '192.168.80.10', 'True'));
    api.put(NODES, node('node01', '192.168.80.11', 'False'));
    api.put(NODES, node('node02', '10.1.1.1', 'True'));
    api.put(NODES, { ...node('rogue', '192.168.80.99', 'True'), metadata: { name: 'rogue', labels: { 'node-role.kubernetes.io/worker': '' } } });
    api.put(CSR, wire(await servingCsr('node01', '192.168.80.11')));
    api.put(CSR, wire(await servingCsr('node02', '10.9.9.9')));
    const r = await status();
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`API:    ${api.url} as O=kubeadm:cluster-admins, CN=kubernetes-admin: v1.31.2, readyz ok`);
    const row = (name: string): string => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    expect(row('master01')).toMatch(/^master01\s+Ready\s+control-plane,etcd\s+v1\.31\.2\s+192\.168\.80\.10\s+\d+s\s*$/);
    expect(row('master02')).toMatch(/^master02\s+missing\s+control-plane\s+-\s+-\s+-\s+not registered: check the kubelet on the host/);
    expect(row('node01')).toMatch(/NotReady\s+worker,etcd.*not Ready: check the kubelet and the network plugin on the host$/);
    expect(row('node02')).toMatch(/Ready\s+worker,etcd\s+v1\.31\.2\s+10\.1\.1\.1\s+\d+s\s+InternalIP 10\.1\.1\.1, the inventory says 192\.168\.80\.12$/);
    expect(row('rogue')).toMatch(/Ready\s+worker\s+.*not in the inventory$/);
    expect(r.out).toContain('CSRs:   2 pending: 1 kubesmith would approve (run `kubesmith approve`), 1 left for a human');
    expect(r.out).toContain('Token:  abcdef expired at 2020-01-01T00:00:00Z (`kubesmith apply` issues a new one)');
    expect(r.out).toContain('NOT healthy: 3/5 nodes Ready');
    expect(api.requests.every((q) => q.method === 'GET')).toBe(true); // read-only
  });

  it('exits 0 with --json when every inventory node is Ready', async () => {
    api = await startFakeApiServer(pki);
    for (const [n, ip] of [['master01', '192.168.80.10'], ['master02', '192.168.80.20'], ['node01', '192.168.80.11'], ['node02', '192.168.80.12']] as const) {
      api.put(NODES, node(n, ip, 'True'));
    }
    // status also requires live leader Leases (src/status/verdict.ts); renewed just now.
    for (const c of ['kube-controller-manager', 'kube-scheduler']) {
      api.put('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: c, namespace: 'kube-system' },
        spec: { holderIdentity: `master01_${c}`, leaseDurationSeconds: 15, renewTime: new Date().toISOString() },
      });
    }
    const r = await status('--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { healthy: boolean; nodes: Array<{ name: string; status: string; problem?: string }>; csrs: unknown; readyz: unknown };
    expect(s).toMatchObject({ healthy: true, readyz: { ok: true, detail: 'ok' }, csrs: { pending: 0, approvable: 0, leftForHuman: 0 } });
    expect(s.nodes.map((n) => `${n.name} ${n.status} ${n.problem ?? ''}`.trim())).toEqual(['master01 Ready', 'master02 Ready', 'node01 Ready', 'node02 Ready']);
  });
});
