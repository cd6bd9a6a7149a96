/**
 * The node removal's host side (node-remove.ts): what runs on the removed worker, in which order,
 * and what is never deleted. The drain's API calls are tested in test/kube/drain.test.ts; the whole
 * removal on a real cluster in test/hosts/apply-k8s.e2e.test.ts (real Kubernetes binaries).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.js';
import { createHttpsTransport } from '../../../src/kube/https-transport.js';
import type { HostReader } from '../../../src/deploy/ssh/connection.js';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { makeTestPki } from '../../kube/support/test-pki.js';
import { nodeRemovePhases } from '../../../src/deploy/phases/node-remove.js';
import { etcdRemoveSteps } from '../../../src/deploy/phases/etcd-remove.js';
import type { PhaseInput } from '../../../src/deploy/phase.js';
import type { ApiAccess } from '../../../src/deploy/phases/_api-access.js';
import { describeStep } from '../../../src/deploy/steps.js';
import { aHost, exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

const noApi: ApiAccess = { open: () => Promise.reject(new Error('no API in this test')) };
const rules = { target: 'wk2', drainTimeoutMs: 300_000, force: false, deleteEmptyDirData: false };

describe('node removal phases', async () => {
  const plan = await realPlan(exampleInventory({ hosts: [aHost('cp1', '10.0.0.1', ['etcd', 'control-plane']), aHost('wk1', '10.0.0.2', ['etcd', 'worker']), aHost('wk2', '10.0.0.3', ['etcd', 'worker'])] }));
  const on = (name: string): PhaseInput => ({ plan, host: plan.hosts.find((h) => h.host.name === name) as PhaseInput['host'], facts: {}, activeHosts: ['cp1', 'wk1', 'wk2'] });
  const stepsOf = (phases: ReturnType<typeof nodeRemovePhases>, id: string, host: string) => (phases.find((p) => p.id === id)?.plan(on(host)) ?? []).map(describeStep);

  it('drains through the API, stops the kubelet before anything else, deletes the Node after; etcd follows', () => {
    const phases = nodeRemovePhases(noApi, { ...rules, keepData: false }, etcdRemoveSteps('wk2', false));
    expect(phases.map((p) => p.id)).toEqual(['etcd-members-before', 'etcd-quorum-check', 'node-drain', 'node-teardown', 'node-delete', 'etcd-members', 'etcd-member-remove', 'etcd-teardown']);
    expect(phases.find((p) => p.id === 'node-drain')?.hosts(plan).map((h) => h.host.name)).toEqual(['cp1', 'wk1', 'wk2']);
    expect(stepsOf(phases, 'node-drain', 'wk2')).toEqual([expect.stringMatching(/^API: cordon wk2, evict its pods \(PodDisruptionBudgets respected; DaemonSet and static pods stay\) and wait up to 300 s/)]);
    expect(stepsOf(phases, 'node-drain', 'cp1')).toEqual([]);
    const teardown = stepsOf(phases, 'node-teardown', 'wk2');
    expect(teardown[0]).toBe('systemctl stop kubelet.service');
    expect(teardown[2]).toMatch(/^systemctl disable --now .*kubelet\.service/);
    expect(teardown[2]).toContain('containerd.service');
    expect(teardown[2]).not.toContain('etcd.service');
    // etcd's teardown removes the files afterwards: the node's teardown leaves them to it.
    expect(teardown.some((s) => s.startsWith('remove '))).toBe(false);
    expect(teardown.at(-1)).toBe('move /var/lib/kubelet aside to /var/lib/kubelet.removed');
    expect(stepsOf(phases, 'node-delete', 'wk2')).toEqual(['API: delete the Node wk2']);
  });

  it('an etcd removal the quorum forbids stops the whole removal before the drain (a gate)', () => {
    const phases = nodeRemovePhases(noApi, { ...rules, keepData: false }, etcdRemoveSteps('wk2', false));
    const gate = phases.find((p) => p.id === 'etcd-quorum-check');
    expect(gate?.gate).toBe(true);
    expect(phases.findIndex((p) => p.id === 'etcd-quorum-check')).toBeLessThan(phases.findIndex((p) => p.id === 'node-drain'));
    const peers = (healthy: readonly string[]) => new Map(['cp1', 'wk1', 'wk2'].map((h, i) => [h, { etcdMember: { healthy: healthy.includes(h), memberId: String(i + 1), leaderId: '1' } }]));
    expect(gate?.check?.({ ...on('cp1'), peers: peers(['cp1', 'wk2']) })).toEqual([{ severity: 'error', message: expect.stringMatching(/^not removing wk2: 1 of the 2 remaining members are healthy \(cp1\)/), hint: expect.stringContaining('nothing was changed') }]);
    expect(gate?.check?.({ ...on('cp1'), peers: peers(['cp1', 'wk1', 'wk2']) })).toEqual([]);
    // A worker that is no etcd member has no such gate.
    expect(nodeRemovePhases(noApi, { ...rules, keepData: false }, []).map((p) => p.id)).toEqual(['node-drain', 'node-teardown', 'node-delete']);
  });

  it('a control-plane host leaves every other API proxy (a reload, marked down) before its services stop, and the API is never reached through it', async () => {
    const inv = exampleInventory({ hosts: [aHost('cp1', '10.0.0.1', ['etcd', 'control-plane']), aHost('cp2', '10.0.0.4', ['control-plane']), aHost('wk1', '10.0.0.2', ['etcd', 'worker']), aHost('wk2', '10.0.0.3', ['etcd', 'worker'])] });
    const ha = await realPlan({ ...inv, cluster: { ...inv.cluster, apiServer: { ...inv.cluster.apiServer, ha: 'local-proxy' } } });
    const phases = nodeRemovePhases(noApi, { ...rules, target: 'cp2', keepData: false }, [], true);
    expect(phases.map((p) => p.id)).toEqual(['node-drain', 'api-proxy-out', 'node-teardown', 'node-delete']);
    const out = phases.find((p) => p.id === 'api-proxy-out');
    expect(out?.hosts(ha).map((h) => h.host.name)).toEqual(['cp1', 'wk1', 'wk2']);
    const input = (name: string): PhaseInput => ({ plan: ha, host: ha.hosts.find((h) => h.host.name === name) as PhaseInput['host'], facts: {}, activeHosts: ['cp1', 'cp2', 'wk1', 'wk2'] });
    expect((out?.plan(input('wk1')) ?? []).map(describeStep)).toEqual(['mark cp2 down in /opt/kubernetes/cfg/apiserver-proxy.conf, reload kubesmith-apiserver-proxy.service']);
    const teardown = (phases.find((p) => p.id === 'node-teardown')?.plan(input('cp2')) ?? []).map(describeStep);
    expect(teardown[2]).toMatch(/^systemctl disable --now .*kube-apiserver\.service/);
    expect(teardown[2]).toContain('kube-controller-manager.service');
    expect(teardown[2]).toContain('kubesmith-apiserver-proxy.service');
    // The Node's deletion goes through cp1 even when cp2, the target, is the first to answer.
    expect(phases.find((p) => p.id === 'node-delete')?.hosts(ha).map((h) => h.host.name)).toEqual(['cp1', 'cp2']);
  });

  it('a worker only: its files removed, the kubelet directory kept with --keep-data, never rm -rf', () => {
    const phases = nodeRemovePhases(noApi, { ...rules, keepData: true }, []);
    const teardown = stepsOf(phases, 'node-teardown', 'wk2');
    expect(teardown.find((s) => s.startsWith('remove '))).toMatch(/^remove \d+ files kubesmith put here/);
    expect(teardown.at(-1)).toBe('/var/lib/kubelet kept in place (--keep-data)');
    expect(teardown.some((s) => s.includes('rm -rf'))).toBe(false);
  });
});

/** The API side of the removal through the phases' reports, against the fake apiserver (real HTTPS). */
describe('node removal reports', () => {
  let api: FakeApiServer;
  let access: ApiAccess;
  beforeAll(async () => {
    const pki = makeTestPki();
    api = await startFakeApiServer(pki, { evictionRefused: () => 'mark' });
    access = {
      open: async () => {
        const transport = createHttpsTransport({ caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem }, { kind: 'direct', host: '127.0.0.1', port: api.port });
        return { client: new KubeClient({ transport, clock: { now: () => new Date() }, retryForMs: 0 }), close: () => transport.close() };
      },
    };
  });
  afterAll(async () => api.close());
  const ctx = { signal: new AbortController().signal, deadline: Date.now() + 60_000, clock: { now: () => new Date() }, dryRun: false };
  const reader = {} as HostReader;
  const seed = () => {
    for (const k of [...api.objects.keys()]) api.objects.delete(k);
    api.put('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'wk2' }, spec: {} });
    api.put('/api/v1/namespaces/apps/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'apps', ownerReferences: [{ kind: 'ReplicaSet', name: 'web', controller: true }] }, spec: { nodeName: 'wk2' } });
  };

  it('an unreachable node: drained without waiting for its pods (no kubelet acts on the marks), then its Node deleted', async () => {
    seed();
    const plan = await realPlan(exampleInventory({ hosts: [aHost('cp1', '10.0.0.1', ['etcd', 'control-plane']), aHost('wk2', '10.0.0.3', ['worker'])] }));
    const [drain, , del] = nodeRemovePhases(access, { ...rules, keepData: false, drainTimeoutMs: 2000 }, []);
    const drained = await drain?.report?.(new Map([['cp1', reader]]), plan, ctx);
    expect(drained).toEqual({ title: 'Drain wk2', columns: ['POD', 'OUTCOME'], rows: [['apps/web', 'evicted']], failures: [] });
    expect(await del?.report?.(new Map([['cp1', reader]]), plan, ctx)).toMatchObject({ rows: [['wk2', 'deleted']], failures: [] });
    expect(api.objects.has('/api/v1/nodes/wk2')).toBe(false);
  });

  it('a node that answered the drain but not its teardown keeps its Node: a running kubelet would register it again', async () => {
    seed();
    const plan = await realPlan(exampleInventory({ hosts: [aHost('cp1', '10.0.0.1', ['etcd', 'control-plane']), aHost('wk1', '10.0.0.2', ['etcd', 'worker']), aHost('wk2', '10.0.0.3', ['worker'])] }));
    const [drain, , del] = nodeRemovePhases(access, { ...rules, keepData: false, drainTimeoutMs: 300 }, []);
    // The kubelet is up (reachable), so the marked pod is waited for: the drain times out, on every host of the run.
    // wk1 (an etcd member, no control plane) fails too: no later phase may remove wk2 from etcd.
    const drained = await drain?.report?.(new Map([['cp1', reader], ['wk1', reader], ['wk2', reader]]), plan, ctx);
    expect(drained?.failures.map((f) => f.host)).toEqual(['cp1', 'wk1', 'wk2']);
    expect(drained?.failures[0]?.message).toMatch(/wk2 not drained within 0 s: apps\/web \(evicted, still terminating\) \(wk2 stays cordoned: run the removal again, or `kubectl uncordon wk2` to give up\)/);
    expect(await del?.report?.(new Map([['cp1', reader]]), plan, ctx)).toEqual({ title: 'Delete the Node wk2', columns: [], rows: [], failures: [{ host: 'wk2', message: expect.stringContaining('a running kubelet would register it again') }] });
    expect(api.objects.has('/api/v1/nodes/wk2')).toBe(true);
  });

  it('no control-plane host answers: the drain fails on every host, naming why', async () => {
    const plan = await realPlan(exampleInventory({ hosts: [aHost('cp1', '10.0.0.1', ['etcd', 'control-plane']), aHost('wk2', '10.0.0.3', ['worker'])] }));
    const [drain] = nodeRemovePhases(access, { ...rules, keepData: false }, []);
    const out = await drain?.report?.(new Map([['wk2', reader]]), plan, ctx);
    expect(out?.failures).toEqual([{ host: 'wk2', message: 'Drain wk2: no control-plane host answers, so the API cannot be reached; nothing was changed' }]);
  });
});
