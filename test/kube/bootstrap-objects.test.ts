/**
 * The plan's bootstrap manifests (rendered by the real renderer from the shipped templates)
 * applied through the API, against the fake apiserver (no kube-apiserver binary exists here; see
 * test/support/fake-apiserver.ts): idempotent, repairs drift, replaces expired tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBootstrapObjects } from '../../src/kube/bootstrap-objects.js';
import { KubeClient } from '../../src/kube/client.js';
import { createHttpsTransport } from '../../src/kube/https-transport.js';
import { applyManifests, manifestObjects } from '../../src/kube/manifests.js';
import { BOOTSTRAP_GROUP } from '../../src/pki/bootstrap-token.js';
import type { BootstrapToken } from '../../src/pki/types.js';
import type { ClusterManifest } from '../../src/plan/types.js';
import type { ApiTransport } from '../../src/kube/types.js';
import { clusterManifests } from '../../src/render/cluster-manifests.js';
import { createEngine } from '../../src/render/engine.js';
import { remoteLayout } from '../../src/render/layout.js';
import { InternalError, PkiError } from '../../src/shared/errors.js';
import { loadTemplates } from '../../src/state/load-templates.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { makeTestPki } from './support/test-pki.js';

const inventory = exampleInventory();
const engine = createEngine(loadTemplates());
const T0 = new Date('2026-11-22T08:00:00Z');
const hours = (h: number): Date => new Date(T0.getTime() + h * 3_600_000);
const token1: BootstrapToken = { id: 'abcdef', secret: '0123456789abcdef', expires: hours(24) };
const token2: BootstrapToken = { id: 'ghijkl', secret: 'fedcba9876543210', expires: hours(48) };
const planManifests = (t: BootstrapToken): readonly ClusterManifest[] => clusterManifests(inventory, remoteLayout(inventory), engine, t);
const SECRETS = '/api/v1/namespaces/kube-system/secrets';
const CRB = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
let api: FakeApiServer;
let client: KubeClient;
let transport: ApiTransport;

beforeAll(async () => {
  const pki = makeTestPki();
  api = await startFakeApiServer(pki);
  transport = createHttpsTransport(
    { caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem },
    { kind: 'direct', host: '127.0.0.1', port: api.port },
  );
  client = new KubeClient({ transport, clock: { now: () => new Date() } });
});
afterAll(async () => api.close());

const writes = (): string[] => api.requests.filter((r) => r.method !== 'GET').map((r) => decodeURIComponent(`${r.method} ${r.path}`));
const decode = (o: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((o as { data: Record<string, string> }).data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
const changed = (out: ReadonlyArray<{ id: string; result: string }>) => out.filter((o) => o.result !== 'unchanged').map((o) => `${o.result} ${o.id}`);

describe('applyBootstrapObjects with the plan\'s manifests', () => {
  it('creates the token Secret and the RBAC, then changes nothing on the second apply', async () => {
    const first = await applyBootstrapObjects(client, planManifests(token1), T0);
    expect(first.map((o) => `${o.result} ${o.id}`)).toEqual([
      'created ClusterRoleBinding/kubeadm:cluster-admins',
      'created ClusterRoleBinding/kubesmith:kubelet-bootstrap',
      'created ClusterRoleBinding/kubesmith:node-autoapprove-bootstrap',
      'created ClusterRoleBinding/kubesmith:node-autoapprove-certificate-rotation',
      'created ClusterRole/system:kube-apiserver-to-kubelet',
      'created ClusterRoleBinding/system:kube-apiserver',
      'created ClusterRoleBinding/kubesmith:apiserver-kubelet-client',
      'created Secret/kube-system/bootstrap-token-abcdef',
    ]);
    const before = writes().length;
    const second = await applyBootstrapObjects(client, planManifests(token1), hours(1));
    expect(changed(second)).toEqual([]);
    expect(second).toHaveLength(8);
    expect(writes().length).toBe(before); // not a single write the second time
  });

  it('stores the Secret in the bootstrap token format, labelled as kubesmith\'s', () => {
    const secret = api.objects.get(`${SECRETS}/bootstrap-token-abcdef`);
    expect(secret).toMatchObject({
      type: 'bootstrap.kubernetes.io/token',
      metadata: { namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'kubesmith', 'kubesmith.io/bootstrap-token': 'true' } },
    });
    expect(secret).not.toHaveProperty('stringData');
    expect(decode(secret)).toMatchObject({
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      expiration: '2026-11-23T08:00:00Z',
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
      'auth-extra-groups': BOOTSTRAP_GROUP,
    });
    expect(decode(secret)['auth-extra-groups']).toMatch(/^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/);
  });

  it('binds the bootstrap group to CSR creation and client auto-approval, nodes to renewal', () => {
    const crb = (name: string) => api.objects.get(`${CRB}/${name}`) as unknown as { roleRef: { name: string }; subjects: Array<{ name: string }> };
    expect(crb('kubesmith:kubelet-bootstrap')).toMatchObject({ roleRef: { name: 'system:node-bootstrapper' }, subjects: [{ name: BOOTSTRAP_GROUP }] });
    expect(crb('kubesmith:node-autoapprove-bootstrap')).toMatchObject({
      roleRef: { name: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient' },
      subjects: [{ name: BOOTSTRAP_GROUP }],
    });
    expect(crb('kubesmith:node-autoapprove-certificate-rotation')).toMatchObject({
      roleRef: { name: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient' },
      subjects: [{ name: 'system:nodes' }],
    });
    expect(crb('system:kube-apiserver').subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kube-apiserver-kubelet-client' }]);
  });

  it('repairs drift: changed subjects are replaced, a changed roleRef is recreated', async () => {
    const live = api.objects.get(`${CRB}/kubesmith:kubelet-bootstrap`)!;
    api.put(CRB, { ...live, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } });
    const rot = api.objects.get(`${CRB}/kubesmith:node-autoapprove-certificate-rotation`)!;
    api.put(CRB, { ...rot, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }] });
    const mark = writes().length;
    const out = await applyBootstrapObjects(client, planManifests(token1), hours(2));
    expect(changed(out)).toEqual([
      'updated ClusterRoleBinding/kubesmith:kubelet-bootstrap',
      'updated ClusterRoleBinding/kubesmith:node-autoapprove-certificate-rotation',
    ]);
    expect(api.objects.get(`${CRB}/kubesmith:kubelet-bootstrap`)).toMatchObject({ roleRef: { name: 'system:node-bootstrapper' } });
    expect(writes().slice(mark)).toEqual([
      `DELETE ${CRB}/kubesmith:kubelet-bootstrap`,
      `POST ${CRB}`,
      `PUT ${CRB}/kubesmith:node-autoapprove-certificate-rotation`,
    ]);
  });

  it('replaces an expired token: the new Secret is created and the expired one deleted', async () => {
    // Still valid: the old token stays (nodes may be bootstrapping with it).
    expect(changed(await applyBootstrapObjects(client, planManifests(token2), hours(3)))).toEqual(['created Secret/kube-system/bootstrap-token-ghijkl']);
    expect(api.objects.has(`${SECRETS}/bootstrap-token-abcdef`)).toBe(true);
    // A day later token1 has expired and is deleted; an expired token kubesmith did not label is left alone.
    api.put(SECRETS, {
      apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token',
      metadata: { name: 'bootstrap-token-zzzzzz', namespace: 'kube-system' }, stringData: { expiration: '2020-01-01T00:00:00Z' },
    });
    expect(changed(await applyBootstrapObjects(client, planManifests(token2), hours(25)))).toEqual(['deleted Secret/kube-system/bootstrap-token-abcdef']);
    expect(api.objects.has(`${SECRETS}/bootstrap-token-abcdef`)).toBe(false);
    expect(api.objects.has(`${SECRETS}/bootstrap-token-zzzzzz`)).toBe(true);
  });

  it('refuses to apply a token that has already expired, before writing anything', async () => {
    const mark = writes().length;
    await expect(applyBootstrapObjects(client, planManifests(token1), hours(30))).rejects.toThrow(PkiError);
    await expect(applyBootstrapObjects(client, planManifests(token1), hours(30))).rejects.toThrow('bootstrap token abcdef expired at 2026-11-23T08:00:00Z');
    expect(writes().length).toBe(mark);
  });

  it('leaves the cluster-admins binding out when the admin is system:masters', () => {
    const inv = exampleInventory({ pki: { ...inventory.pki, adminIdentity: 'system-masters' } });
    const ids = clusterManifests(inv, remoteLayout(inv), engine, token1).flatMap(manifestObjects).map((o) => o.metadata.name);
    expect(ids).not.toContain('kubeadm:cluster-admins');
  });
});

describe('applyManifests', () => {
  it('applies flannel and CoreDNS idempotently too (namespaces, DaemonSet, Deployment, Service)', async () => {
    const addons = planManifests(token2).filter((m) => m.id === 'flannel' || m.id === 'coredns');
    const first = await applyManifests(client, addons);
    expect(first.every((o) => o.result === 'created')).toBe(true);
    expect(first.map((o) => o.id)).toEqual(expect.arrayContaining(['Namespace/kube-flannel', 'DaemonSet/kube-flannel/kube-flannel-ds', 'Deployment/kube-system/coredns', 'Service/kube-system/kube-dns']));
    expect((await applyManifests(client, addons)).every((o) => o.result === 'unchanged')).toBe(true);
  });

  it('re-reads and retries when the object changes between its GET and PUT (409 Conflict)', async () => {
    const manifest: ClusterManifest = {
      id: 'cm',
      secret: false,
      yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: racy, namespace: kube-system }\ndata: { a: "2" }\n',
    };
    const CMS = '/api/v1/namespaces/kube-system/configmaps';
    api.put(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'racy', namespace: 'kube-system' }, data: { a: '1' } });
    let raced = false;
    const inner = transport;
    const racing: ApiTransport = {
      ...inner,
      request: async (req) => {
        if (req.method === 'PUT' && !raced) {
          raced = true; // someone else writes first: our resourceVersion is now stale
          api.put(CMS, { ...api.objects.get(`${CMS}/racy`)!, data: { a: 'other' } });
        }
        return inner.request(req);
      },
    };
    const racingClient = new KubeClient({ transport: racing, clock: { now: () => new Date() } });
    expect(await applyManifests(racingClient, [manifest])).toEqual([{ manifest: 'cm', id: 'ConfigMap/kube-system/racy', result: 'updated' }]);
    expect(api.objects.get(`${CMS}/racy`)).toMatchObject({ data: { a: '2' } });
    expect(api.requests.filter((r) => r.path === `${CMS}/racy` && r.method === 'PUT').map((r) => r.status)).toEqual([409, 200]);
  });

  it('reads every object before the first write, then writes in order; a re-apply only reads, once per object', async () => {
    const cms = ['one', 'two', 'three', 'four', 'five'].map((name, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: kube-system }\ndata: { i: "${i}" }\n`);
    const manifest: ClusterManifest = { id: 'cms', secret: false, yaml: cms.join('---\n') };
    const CMS = '/api/v1/namespaces/kube-system/configmaps';
    const seen = (from: number): string[] => api.requests.slice(from).filter((r) => r.path.startsWith(CMS)).map((r) => `${r.method} ${r.path.slice(CMS.length + 1)}`);
    const before = api.requests.length;
    expect((await applyManifests(client, [manifest])).map((o) => o.result)).toEqual(['created', 'created', 'created', 'created', 'created']);
    const first = seen(before);
    expect(first.slice(0, 5).every((r) => r.startsWith('GET '))).toBe(true);
    expect(first.slice(5)).toEqual(['POST ', 'POST ', 'POST ', 'POST ', 'POST ']);
    const again = api.requests.length;
    expect((await applyManifests(client, [manifest])).every((o) => o.result === 'unchanged')).toBe(true);
    expect(seen(again).sort()).toEqual(['GET five', 'GET four', 'GET one', 'GET three', 'GET two']);
  });

  it('reports a malformed manifest as a kubesmith bug naming the manifest', () => {
    expect(() => manifestObjects({ id: 'broken', yaml: 'kind: Secret\nmetadata: {}\n', secret: false })).toThrow(InternalError);
    expect(() => manifestObjects({ id: 'broken', yaml: 'kind: Secret\nmetadata: {}\n', secret: false })).toThrow('manifest broken: document 1 lacks apiVersion, kind or metadata.name');
  });
});
