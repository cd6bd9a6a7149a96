/**
 * Bootstrap token Secret + RBAC applied through the API, against the fake apiserver (no
 * kube-apiserver binary exists here; see test/support/fake-apiserver.ts): idempotent, repairs
 * drift, replaces expired tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBootstrapObjects, BOOTSTRAP_EXTRA_GROUP, bootstrapRbac } from '../../src/kube/bootstrap-objects.js';
import { KubeClient } from '../../src/kube/client.js';
import { createHttpsTransport } from '../../src/kube/https-transport.js';
import type { BootstrapToken } from '../../src/pki/types.js';
import { PkiError } from '../../src/shared/errors.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { makeTestPki, type TestPki } from './support/test-pki.js';

const inventory = exampleInventory();
const T0 = new Date('2026-11-22T08:00:00Z');
const hours = (h: number): Date => new Date(T0.getTime() + h * 3_600_000);
const token1: BootstrapToken = { id: 'abcdef', secret: '0123456789abcdef', expires: hours(24) };
const token2: BootstrapToken = { id: 'ghijkl', secret: 'fedcba9876543210', expires: hours(48) };
const SECRETS = '/api/v1/namespaces/kube-system/secrets';
const CRB = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
let pki: TestPki;
let api: FakeApiServer;
let client: KubeClient;

beforeAll(async () => {
  pki = makeTestPki();
  api = await startFakeApiServer(pki);
  const transport = createHttpsTransport(
    { caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem },
    { kind: 'direct', host: '127.0.0.1', port: api.port },
  );
  client = new KubeClient({ transport, clock: { now: () => new Date() } });
});
afterAll(async () => api.close());

const writes = (): string[] => api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
const decode = (o: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((o as { data: Record<string, string> }).data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));

describe('applyBootstrapObjects', () => {
  it('creates the token Secret and the RBAC, then changes nothing on the second apply', async () => {
    const first = await applyBootstrapObjects(client, inventory, token1, T0);
    expect(first).toEqual([
      { id: 'Secret/bootstrap-token-abcdef', result: 'created' },
      { id: 'ClusterRoleBinding/kubeadm:cluster-admins', result: 'created' },
      { id: 'ClusterRoleBinding/kubesmith:kubelet-bootstrap', result: 'created' },
      { id: 'ClusterRoleBinding/kubesmith:node-autoapprove-bootstrap', result: 'created' },
      { id: 'ClusterRoleBinding/kubesmith:node-autoapprove-certificate-rotation', result: 'created' },
      { id: 'ClusterRole/kubesmith:kube-apiserver-to-kubelet', result: 'created' },
      { id: 'ClusterRoleBinding/kubesmith:kube-apiserver-to-kubelet', result: 'created' },
    ]);
    const before = writes().length;
    const second = await applyBootstrapObjects(client, inventory, token1, hours(1));
    expect(second.every((o) => o.result === 'unchanged')).toBe(true);
    expect(writes().length).toBe(before); // not a single write the second time
  });

  it('writes the Secret in the bootstrap token format the apiserver authenticates', () => {
    const secret = api.objects.get(`${SECRETS}/bootstrap-token-abcdef`);
    expect(secret).toMatchObject({ type: 'bootstrap.kubernetes.io/token', metadata: { namespace: 'kube-system' } });
    const data = decode(secret);
    expect(data).toMatchObject({
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      expiration: '2026-11-23T08:00:00Z',
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
    });
    expect(data['auth-extra-groups']).toMatch(/^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/);
    expect(data['auth-extra-groups']).toBe(BOOTSTRAP_EXTRA_GROUP);
  });

  it('binds bootstrappers to CSR creation and client auto-approval, nodes to renewal', () => {
    const subjectOf = (name: string) => api.objects.get(`${CRB}/${name}`) as unknown as { roleRef: { name: string }; subjects: Array<{ name: string }> };
    expect(subjectOf('kubesmith:kubelet-bootstrap')).toMatchObject({ roleRef: { name: 'system:node-bootstrapper' }, subjects: [{ name: 'system:bootstrappers' }] });
    expect(subjectOf('kubesmith:node-autoapprove-bootstrap').roleRef.name).toBe('system:certificates.k8s.io:certificatesigningrequests:nodeclient');
    expect(subjectOf('kubesmith:node-autoapprove-certificate-rotation')).toMatchObject({
      roleRef: { name: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient' },
      subjects: [{ name: 'system:nodes' }],
    });
    expect(subjectOf('kubesmith:kube-apiserver-to-kubelet').subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kube-apiserver-kubelet-client' },
    ]);
  });

  it('repairs drift: changed subjects are replaced, a changed roleRef is recreated', async () => {
    const live = api.objects.get(`${CRB}/kubesmith:kubelet-bootstrap`)!;
    api.put(CRB, { ...live, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } });
    const rot = api.objects.get(`${CRB}/kubesmith:node-autoapprove-certificate-rotation`)!;
    api.put(CRB, { ...rot, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }] });
    const mark = writes().length;
    const out = await applyBootstrapObjects(client, inventory, token1, hours(2));
    expect(out.filter((o) => o.result !== 'unchanged')).toEqual([
      { id: 'ClusterRoleBinding/kubesmith:kubelet-bootstrap', result: 'updated' },
      { id: 'ClusterRoleBinding/kubesmith:node-autoapprove-certificate-rotation', result: 'updated' },
    ]);
    expect(api.objects.get(`${CRB}/kubesmith:kubelet-bootstrap`)).toMatchObject({ roleRef: { name: 'system:node-bootstrapper' } });
    expect(writes().slice(mark).map(decodeURIComponent)).toEqual([
      `DELETE ${CRB}/kubesmith:kubelet-bootstrap`,
      `POST ${CRB}`,
      `PUT ${CRB}/kubesmith:node-autoapprove-certificate-rotation`,
    ]);
  });

  it('replaces an expired token: the new Secret is created and the expired one deleted', async () => {
    // Still valid: the old token stays (nodes may be bootstrapping with it).
    const during = await applyBootstrapObjects(client, inventory, token2, hours(3));
    expect(during.filter((o) => o.result !== 'unchanged')).toEqual([{ id: 'Secret/bootstrap-token-ghijkl', result: 'created' }]);
    expect(api.objects.has(`${SECRETS}/bootstrap-token-abcdef`)).toBe(true);
    // A day later token1 has expired: it is deleted; secrets kubesmith did not label are left alone.
    api.put(SECRETS, { apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: 'bootstrap-token-zzzzzz', namespace: 'kube-system' }, stringData: { expiration: '2020-01-01T00:00:00Z' } });
    const after = await applyBootstrapObjects(client, inventory, token2, hours(25));
    expect(after.filter((o) => o.result !== 'unchanged')).toEqual([{ id: 'Secret/bootstrap-token-abcdef', result: 'deleted' }]);
    expect(api.objects.has(`${SECRETS}/bootstrap-token-abcdef`)).toBe(false);
    expect(api.objects.has(`${SECRETS}/bootstrap-token-zzzzzz`)).toBe(true);
  });

  it('refuses to apply a token that has already expired', async () => {
    await expect(applyBootstrapObjects(client, inventory, token1, hours(30))).rejects.toThrow(PkiError);
    await expect(applyBootstrapObjects(client, inventory, token1, hours(30))).rejects.toThrow('bootstrap token abcdef expired at 2026-11-23T08:00:00Z');
  });

  it('leaves the cluster-admins binding out when the admin is system:masters', () => {
    const inv = exampleInventory({ pki: { ...inventory.pki, adminIdentity: 'system-masters' } });
    expect(bootstrapRbac(inv).map((o) => o.metadata.name)).not.toContain('kubeadm:cluster-admins');
  });
});
