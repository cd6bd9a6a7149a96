/**
 * Cordon and drain (src/kube/drain.ts): the pure choice of pods as kubectl drain --ignore-daemonsets
 * makes it, and the calls against the fake apiserver (real HTTPS and client certificates; its
 * eviction answers a PodDisruptionBudget refusal with the real apiserver's 429). The drain of a
 * real node with a real PodDisruptionBudget needs real Kubernetes binaries (the lifecycle e2e).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { cordon, drainNode, drainPick, type PodLike } from '../../src/kube/drain.js';
import { createHttpsTransport } from '../../src/kube/https-transport.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { makeTestPki } from './support/test-pki.js';

const owned = (kind: string) => [{ kind, name: 'owner', controller: true }];
const pod = (name: string, extra: Partial<PodLike['metadata']> = {}, spec: PodLike['spec'] = {}, node = 'wk1'): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'apps', ...extra },
  spec: { nodeName: node, ...spec },
  status: { phase: 'Running' },
});
const rules = { force: false, deleteEmptyDirData: false };

describe('drainPick', () => {
  const pods = [
    pod('web', { ownerReferences: owned('ReplicaSet') }),
    pod('flannel', { ownerReferences: owned('DaemonSet') }),
    pod('static', { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
    pod('bare'),
    pod('cache', { ownerReferences: owned('ReplicaSet') }, { volumes: [{ name: 'scratch', emptyDir: {} }] }),
    { ...pod('done'), status: { phase: 'Succeeded' } },
  ] as unknown as PodLike[];
  it('keeps DaemonSet and static pods, refuses bare and emptyDir pods unless allowed, evicts the rest', () => {
    const p = drainPick(pods, rules);
    expect(p.evict.map((x) => x.metadata.name)).toEqual(['web', 'done']);
    expect(p.stay.map((x) => x.pod)).toEqual(['apps/flannel', 'apps/static']);
    expect(p.refused).toEqual([
      { pod: 'apps/bare', why: expect.stringContaining('--force') },
      { pod: 'apps/cache', why: expect.stringContaining('emptyDir volume scratch would be lost (--delete-emptydir-data') },
    ]);
    const all = drainPick(pods, { force: true, deleteEmptyDirData: true });
    expect(all.refused).toEqual([]);
    expect(all.evict.map((x) => x.metadata.name)).toEqual(['web', 'bare', 'cache', 'done']);
  });
});

describe('drainNode against the API', () => {
  let api: FakeApiServer;
  let client: KubeClient;
  let refuse = 0;
  beforeAll(async () => {
    const pki = makeTestPki();
    api = await startFakeApiServer(pki, { evictionRefused: (_ns, name) => (name === 'guarded' && refuse-- > 0) || (name === 'stuck' ? 'mark' : false) });
    const transport = createHttpsTransport({ caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem }, { kind: 'direct', host: '127.0.0.1', port: api.port });
    client = new KubeClient({ transport, clock: { now: () => new Date() }, retryForMs: 0 });
  });
  afterAll(async () => api.close());
  beforeEach(() => {
    for (const k of [...api.objects.keys()]) api.objects.delete(k);
    api.requests.length = 0;
    api.put('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'wk1' }, spec: {} });
  });
  const clock = { now: () => new Date() };
  const writes = (): string[] => api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${decodeURIComponent(r.path)} ${r.status}`);

  it('cordons, evicts every pod but the DaemonSet one, retries an eviction a budget refuses, leaves other nodes alone', async () => {
    refuse = 2;
    api.put('/api/v1/namespaces/apps/pods', pod('guarded', { ownerReferences: owned('ReplicaSet') }));
    api.put('/api/v1/namespaces/apps/pods', pod('web', { ownerReferences: owned('ReplicaSet') }));
    api.put('/api/v1/namespaces/kube-system/pods', { ...pod('flannel', { ownerReferences: owned('DaemonSet') }), metadata: { name: 'flannel', namespace: 'kube-system', ownerReferences: owned('DaemonSet') } });
    api.put('/api/v1/namespaces/apps/pods', pod('elsewhere', { ownerReferences: owned('ReplicaSet') }, {}, 'wk2'));
    const out = await drainNode(client, 'wk1', { ...rules, timeoutMs: 10_000, pollMs: 20, clock });
    expect(out).toEqual({ ok: true, cordoned: true, evicted: ['apps/web', 'apps/guarded'], stay: [{ pod: 'kube-system/flannel', why: 'managed by DaemonSet owner' }], refusals: { 'apps/guarded': 2 } });
    expect(writes().filter((w) => w.includes('guarded'))).toEqual([
      'POST /api/v1/namespaces/apps/pods/guarded/eviction 429',
      'POST /api/v1/namespaces/apps/pods/guarded/eviction 429',
      'POST /api/v1/namespaces/apps/pods/guarded/eviction 201',
    ]);
    expect((api.objects.get('/api/v1/nodes/wk1')?.['spec'] as { unschedulable?: boolean }).unschedulable).toBe(true);
    expect(api.objects.has('/api/v1/namespaces/apps/pods/elsewhere')).toBe(true);
    expect(api.objects.has('/api/v1/namespaces/kube-system/pods/flannel')).toBe(true);
    expect(await cordon(client, 'wk1')).toBe(false);
  });

  it('refuses a bare pod before anything changes: no cordon, no eviction', async () => {
    api.put('/api/v1/namespaces/apps/pods', pod('bare'));
    const out = await drainNode(client, 'wk1', { ...rules, timeoutMs: 1000, pollMs: 20, clock });
    expect(out).toEqual({ ok: false, cordoned: false, evicted: [], error: expect.stringMatching(/^not draining wk1: apps\/bare: no controller manages it/) });
    expect(writes()).toEqual([]);
  });

  it('a budget that never allows the eviction fails at the timeout, naming the pod and the reason; the node stays cordoned', async () => {
    refuse = 1_000;
    api.put('/api/v1/namespaces/apps/pods', pod('guarded', { ownerReferences: owned('ReplicaSet') }));
    const out = await drainNode(client, 'wk1', { ...rules, timeoutMs: 300, pollMs: 50, clock });
    expect(out).toEqual({ ok: false, cordoned: true, evicted: [], error: expect.stringContaining("apps/guarded (eviction refused: Cannot evict pod as it would violate the pod's disruption budget.)") });
    expect(api.objects.has('/api/v1/namespaces/apps/pods/guarded')).toBe(true);
  });

  it('a pod left terminating counts as gone only when the kubelet is gone', async () => {
    api.put('/api/v1/namespaces/apps/pods', pod('stuck', { ownerReferences: owned('ReplicaSet') }));
    const waiting = await drainNode(client, 'wk1', { ...rules, timeoutMs: 200, pollMs: 50, clock });
    expect(waiting).toEqual({ ok: false, cordoned: true, evicted: [], error: expect.stringContaining('apps/stuck (evicted, still terminating)') });
    const gone = await drainNode(client, 'wk1', { ...rules, timeoutMs: 200, pollMs: 50, clock, kubeletGone: true });
    expect(gone).toMatchObject({ ok: true, cordoned: false, evicted: ['apps/stuck'] });
  });
});
