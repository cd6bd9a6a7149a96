/**
 * The network and DNS add-ons from the plan's manifests (rendered by the real renderer from the
 * shipped templates) applied through the API against the fake apiserver (no kube-apiserver binary
 * exists here; see test/support/fake-apiserver.ts, unchanged for these tests: its generic object
 * store serves every kind). A real apiserver also adds defaulted fields; the create-or-replace
 * comparison (kube/apply.ts containsDesired) ignores fields kubesmith does not set, so the
 * idempotency shown here carries over. Node readiness is polled from Node objects shaped as the
 * kubelet writes them. The image import argv is run against a real containerd in
 * addons-images.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addonManifests, applyAddons, imageImportSteps, imagesArgv, imageTarball, waitForNodesReady } from '../../src/kube/addons.js';
import { KubeClient } from '../../src/kube/client.js';
import { createHttpsTransport } from '../../src/kube/https-transport.js';
import type { BootstrapToken } from '../../src/pki/types.js';
import { clusterManifests } from '../../src/render/cluster-manifests.js';
import { createEngine } from '../../src/render/engine.js';
import { remoteLayout } from '../../src/render/layout.js';
import { InternalError, Interrupted } from '../../src/shared/errors.js';
import { loadTemplates } from '../../src/state/load-templates.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { makeTestPki } from './support/test-pki.js';

const inventory = exampleInventory();
const token: BootstrapToken = { id: 'abcdef', secret: '0123456789abcdef', expires: new Date('2030-01-01T00:00:00Z') };
const manifests = clusterManifests(inventory, remoteLayout(inventory), createEngine(loadTemplates()), token);
const NODES = '/api/v1/nodes';
let api: FakeApiServer;
let client: KubeClient;

beforeAll(async () => {
  const pki = makeTestPki();
  api = await startFakeApiServer(pki);
  const transport = createHttpsTransport({ caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem }, { kind: 'direct', host: '127.0.0.1', port: api.port });
  client = new KubeClient({ transport, clock: { now: () => new Date() }, retryForMs: 0 });
});
afterAll(async () => api.close());

const writes = (): string[] => api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${decodeURIComponent(r.path)}`);

describe('applyAddons', () => {
  it('creates flannel then CoreDNS, every kind at its REST path, with the inventory values', async () => {
    const out = await applyAddons(client, { manifests, inventory });
    expect(out.map((o) => `${o.result} ${o.id}`)).toEqual([
      'created Namespace/kube-flannel',
      'created ServiceAccount/kube-flannel/flannel',
      'created ClusterRole/flannel',
      'created ClusterRoleBinding/flannel',
      'created ConfigMap/kube-flannel/kube-flannel-cfg',
      'created DaemonSet/kube-flannel/kube-flannel-ds',
      'created ServiceAccount/kube-system/coredns',
      'created ClusterRole/system:coredns',
      'created ClusterRoleBinding/system:coredns',
      'created ConfigMap/kube-system/coredns',
      'created Deployment/kube-system/coredns',
      'created Service/kube-system/kube-dns',
    ]);
    const cfg = api.objects.get('/api/v1/namespaces/kube-flannel/configmaps/kube-flannel-cfg') as unknown as { data: Record<string, string> };
    expect(JSON.parse(cfg.data['net-conf.json'] ?? '')).toEqual({ Network: inventory.cluster.podCIDR, Backend: { Type: 'vxlan' } });
    const svc = api.objects.get('/api/v1/namespaces/kube-system/services/kube-dns') as unknown as { spec: { clusterIP: string } };
    expect(svc.spec.clusterIP).toBe(inventory.cluster.clusterDNS);
    const corefile = (api.objects.get('/api/v1/namespaces/kube-system/configmaps/coredns') as unknown as { data: Record<string, string> }).data['Corefile'];
    expect(corefile).toContain(`kubernetes ${inventory.cluster.clusterDomain} in-addr.arpa ip6.arpa`);
    expect(api.objects.get('/apis/apps/v1/namespaces/kube-system/deployments/coredns')?.metadata['labels']).toMatchObject({ 'app.kubernetes.io/managed-by': 'kubesmith' });
  });

  it('changes nothing on a second apply (GETs only)', async () => {
    const before = writes().length;
    const out = await applyAddons(client, { manifests, inventory });
    expect(out.every((o) => o.result === 'unchanged')).toBe(true);
    expect(writes().length).toBe(before);
  });

  it('repairs drift in one object and leaves the rest alone', async () => {
    const path = '/apis/apps/v1/namespaces/kube-flannel/daemonsets/kube-flannel-ds';
    const live = api.objects.get(path)!;
    api.put('/apis/apps/v1/namespaces/kube-flannel/daemonsets', { ...live, spec: { ...(live['spec'] as object), minReadySeconds: 99, selector: { matchLabels: { app: 'edited' } } } });
    const before = writes().length;
    const out = await applyAddons(client, { manifests, inventory });
    expect(out.filter((o) => o.result !== 'unchanged').map((o) => `${o.result} ${o.id}`)).toEqual(['updated DaemonSet/kube-flannel/kube-flannel-ds']);
    expect(writes().slice(before)).toEqual([`PUT ${path}`]);
    expect((api.objects.get(path)?.['spec'] as { selector: unknown }).selector).toEqual({ matchLabels: { app: 'flannel' } });
  });

  it('refuses a plan without the add-on manifests (a renderer bug)', () => {
    expect(() => addonManifests(manifests.filter((m) => m.id !== 'coredns'), inventory)).toThrow(InternalError);
  });
});

function node(name: string, ready: 'True' | 'False', reason = 'KubeletNotReady', message = 'container runtime network not ready: cni plugin not initialized'): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready, reason, message }] } };
}

describe('waitForNodesReady', () => {
  it('polls until every named node is Ready', async () => {
    api.put(NODES, node('node01', 'False'));
    let t = 0;
    const clock = { now: () => new Date(t) };
    const sleep = async (ms: number): Promise<void> => {
      t += ms;
      if (t >= 4000) api.put(NODES, node('node01', 'True', 'KubeletReady', 'kubelet is posting ready status'));
      if (t >= 6000) api.put(NODES, node('node02', 'True', 'KubeletReady', 'kubelet is posting ready status'));
    };
    const seen: string[] = [];
    const r = await waitForNodesReady(client, ['node01', 'node02'], new Date(60_000), undefined, { clock, sleep, onPoll: (n) => seen.push(n.map((x) => `${x.name}:${x.ready ? 'Ready' : x.reason}`).join(' ')) });
    expect(r.allReady).toBe(true);
    expect(r.polls).toBe(4);
    expect(seen[0]).toBe('node01:KubeletNotReady: container runtime network not ready: cni plugin not initialized node02:not registered');
  });

  it('gives up at the deadline and says why each node is not Ready', async () => {
    api.put(NODES, node('node03', 'False'));
    let t = 0;
    const r = await waitForNodesReady(client, ['node03', 'node04'], new Date(5_000), undefined, { clock: { now: () => new Date(t) }, pollMs: 1000, sleep: async (ms) => void (t += ms) });
    expect(r.allReady).toBe(false);
    expect(r.polls).toBe(6); // t = 0..5000 ms: the poll at the deadline itself still counts
    expect(r.nodes).toEqual([
      { name: 'node03', ready: false, reason: 'KubeletNotReady: container runtime network not ready: cni plugin not initialized' },
      { name: 'node04', ready: false, reason: 'not registered' },
    ]);
  });

  it('stops on abort with Interrupted', async () => {
    const ac = new AbortController();
    const wait = waitForNodesReady(client, ['node04'], new Date(Date.now() + 60_000), ac.signal, { clock: { now: () => new Date() }, pollMs: 50 });
    setTimeout(() => ac.abort(new Error('Ctrl-C')), 120);
    await expect(wait).rejects.toThrow(Interrupted);
  });
});

describe('imageImportSteps', () => {
  it('imports pause, flannel (CNI plugin + daemon) and CoreDNS into k8s.io with the inventory snapshotter', () => {
    const inv = exampleInventory({ containerd: { ...inventory.containerd, snapshotter: 'native' } });
    const host = inv.hosts.find((h) => h.name === 'node01')!;
    const steps = imageImportSteps({ inventory: inv }, host);
    expect(steps.map((s) => [s.image, s.source.bundleFile])).toEqual([
      [inv.containerd.sandboxImage, imageTarball(inv.containerd.sandboxImage)],
      ['docker.io/flannel/flannel-cni-plugin:v1.6.0-flannel1', 'flannel-cni-plugin_v1.6.0-flannel1.tar'],
      ['docker.io/flannel/flannel:v0.26.1', 'flannel_v0.26.1.tar'],
      ['registry.k8s.io/coredns/coredns:v1.11.3', 'coredns_v1.11.3.tar'],
    ]);
    expect(imageTarball('registry.k8s.io/pause:3.9')).toBe('pause_3.9.tar');
    expect(imageTarball('localhost:5000/busybox')).toBe('busybox_latest.tar');
    const coredns = steps[3]!;
    expect(coredns.remotePath).toBe('/opt/kubernetes/images/coredns_v1.11.3.tar');
    // One command for all images: mode, ctr, socket, snapshotter, then image/tarball pairs.
    expect(imagesArgv(inv, steps, 'import').slice(3, 8)).toEqual(['sh', 'import', '/usr/local/bin/ctr', '/run/containerd/containerd.sock', 'native']);
    expect(imagesArgv(inv, steps, 'check').slice(-2)).toEqual(['registry.k8s.io/coredns/coredns:v1.11.3', '/opt/kubernetes/images/coredns_v1.11.3.tar']);
    expect(coredns.source.member).toBe(coredns.source.bundleFile); // the whole file, as runc
  });

  it('has nothing to import on hosts without containerd (etcd-only, load balancer)', () => {
    expect(imageImportSteps({ inventory }, aHost('etcd09', '192.168.80.30', ['etcd']))).toEqual([]);
    expect(imageImportSteps({ inventory }, aHost('lb01', '192.168.80.40', ['loadbalancer']))).toEqual([]);
    expect(imageImportSteps({ inventory }, inventory.hosts.find((h) => h.name === 'master02')!)).toHaveLength(4);
  });
});
