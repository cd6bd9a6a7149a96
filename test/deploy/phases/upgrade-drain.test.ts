/**
 * #10 part 3: the nodes of a Kubernetes upgrade (_upgrade-drain.ts) against the fake apiserver
 * (real HTTPS, client certificates, 429 on a PodDisruptionBudget): cordon + drain before the
 * kubelet is replaced, uncordon once the Node is Ready on the new version, and only a cordon apply
 * made. The whole upgrade on a real cluster is test/hosts/upgrade-k8s.e2e.test.ts (real binaries).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.js';
import { createHttpsTransport } from '../../../src/kube/https-transport.js';
import { UPGRADE_CORDON } from '../../../src/kube/upgrade-cordon.js';
import { upgradeDrain, upgradeTarget } from '../../../src/deploy/phases/_upgrade-drain.js';
import { applyPhases } from '../../../src/deploy/phases/index.js';
import { newHostRunState } from '../../../src/deploy/dry-run.js';
import type { ApiAccess } from '../../../src/deploy/phases/_api-access.js';
import type { RolloutIo } from '../../../src/deploy/rollout-io.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { planView } from '../../../src/plan/plan-view.js';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { makeTestPki } from '../../kube/support/test-pki.js';
import { aHost, exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

const TARGET = 'v1.36.3';
const inv = () => {
  const base = exampleInventory();
  return exampleInventory({ cluster: { ...base.cluster, kubernetesVersion: TARGET, etcdVersion: 'v3.6.13' }, hosts: [aHost('cp1', '10.0.0.1', ['etcd', 'control-plane']), aHost('wk1', '10.0.0.2', ['worker']), aHost('wk2', '10.0.0.3', ['worker'])] });
};
const node = (name: string, o: { ready?: boolean; version?: string; unschedulable?: boolean; mark?: string } = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, ...(o.mark ? { annotations: { [UPGRADE_CORDON]: o.mark } } : {}) },
  spec: o.unschedulable ? { unschedulable: true } : {},
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }], nodeInfo: { kubeletVersion: o.version ?? 'v1.35.6' } },
});
const pod = (name: string, nodeName: string, owner = true) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'apps', ...(owner ? { ownerReferences: [{ kind: 'ReplicaSet', name: 'web', controller: true }] } : {}) },
  spec: { nodeName },
  status: { phase: 'Running' },
});

describe('a Kubernetes upgrade drains each node around its kubelet restart', () => {
  let api: FakeApiServer;
  let access: ApiAccess;
  let upgrading: ClusterPlan;
  let same: ClusterPlan;
  beforeAll(async () => {
    const pki = makeTestPki();
    api = await startFakeApiServer(pki);
    access = {
      open: async () => {
        const transport = createHttpsTransport({ caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem }, { kind: 'direct', host: '127.0.0.1', port: api.port });
        return { client: new KubeClient({ transport, clock: { now: () => new Date() }, retryForMs: 0 }), close: () => transport.close() };
      },
    };
    const record = (kubernetes: string) => (b: ClusterPlan['pki']) => ({ ...b, identity: { cluster: 'demo', createdAt: '2026-12-01T00:00:00.000Z', fingerprints: {}, replaced: [], versions: { kubernetes, etcd: 'v3.6.13' } } });
    upgrading = await realPlan(inv(), record('v1.35.6'));
    same = await realPlan(inv(), record(TARGET));
  });
  afterAll(async () => api.close());
  beforeEach(() => {
    for (const k of [...api.objects.keys()]) api.objects.delete(k);
    api.requests.length = 0;
  });

  const io = (plan: ClusterPlan, restarting: readonly string[], dryRun = false): RolloutIo & { lines: string[] } => {
    const lines: string[] = [];
    const states = new Map(['cp1', 'wk1', 'wk2'].map((h) => {
      const s = newHostRunState();
      if (restarting.includes(h)) s.deferredRestarts.add('kubelet.service');
      return [h, s] as const;
    }));
    return {
      lines, plan, dryRun, signal: new AbortController().signal, clock: { now: () => new Date() }, timeoutMs: 2000,
      emit: (e) => { if ('message' in e) lines.push(e.message); },
      readers: new Map(), states, facts: new Map(), run: () => Promise.resolve(), reachable: new Set(['cp1', 'wk1', 'wk2']),
    };
  };
  const spec = (n: string) => api.objects.get(`/api/v1/nodes/${n}`)?.['spec'] as { unschedulable?: boolean };
  const annotations = (n: string) => (api.objects.get(`/api/v1/nodes/${n}`)?.['metadata'] as { annotations?: Record<string, string> }).annotations ?? {};

  it('is active only when the inventory names another version than the last full apply recorded', () => {
    expect(upgradeTarget(upgrading)).toBe(TARGET);
    expect(upgradeTarget(same)).toBeUndefined();
    const guard = upgradeDrain(access, { drainTimeoutMs: 5000, force: false, deleteEmptyDirData: false, pollMs: 20 });
    expect(guard.what(same)).toBeUndefined();
    const nodesLine = (p: ClusterPlan) => planView(p, undefined, []).restarts.find((r) => r.startsWith('nodes:'));
    expect(nodesLine(upgrading)).toContain(`each cordoned and drained before its kubelet is replaced and uncordoned once Ready on ${TARGET}`);
    expect(nodesLine(same)).not.toContain('drained');
    // apply --no-drain: the nodes phase has no guard at all.
    expect(applyPhases(access, {}, false).find((p) => p.id === 'nodes')?.rolling?.guard).toBeUndefined();
  });

  it('cordons (marked) and drains before, uncordons once Ready on the new version after; pods elsewhere stay', async () => {
    api.put('/api/v1/nodes', node('wk1'));
    api.put('/api/v1/nodes', node('wk2'));
    api.put('/api/v1/namespaces/apps/pods', pod('a', 'wk1'));
    api.put('/api/v1/namespaces/apps/pods', pod('b', 'wk2'));
    const guard = upgradeDrain(access, { drainTimeoutMs: 5000, force: false, deleteEmptyDirData: false, pollMs: 20 });
    const r = io(upgrading, ['wk1']);
    expect(await guard.before(['wk1'], r)).toEqual(['drained wk1: 1 pod(s) evicted']);
    expect(spec('wk1').unschedulable).toBe(true);
    expect(annotations('wk1')[UPGRADE_CORDON]).toBe(TARGET);
    expect(api.objects.has('/api/v1/namespaces/apps/pods/a')).toBe(false);
    expect(api.objects.has('/api/v1/namespaces/apps/pods/b')).toBe(true);
    // The kubelet comes back on the old version first: the node stays cordoned until it reports the new one.
    const later = setTimeout(() => api.put('/api/v1/nodes', { ...node('wk1', { version: TARGET, unschedulable: true, mark: TARGET }) }), 150);
    expect(await guard.after(['wk1'], r)).toEqual([`uncordoned wk1: Ready on ${TARGET}`]);
    clearTimeout(later);
    expect(spec('wk1').unschedulable).toBe(false);
    expect(annotations('wk1')[UPGRADE_CORDON]).toBeUndefined();
    expect(spec('wk2').unschedulable).toBeUndefined();
  });

  it('never uncordons a node the operator cordoned; a node not Ready in time stays cordoned and stops the rollout', async () => {
    api.put('/api/v1/nodes', node('wk1', { unschedulable: true }));
    api.put('/api/v1/nodes', node('wk2'));
    const guard = upgradeDrain(access, { drainTimeoutMs: 5000, force: false, deleteEmptyDirData: false, pollMs: 20 });
    const r = io(upgrading, ['wk1', 'wk2']);
    expect(await guard.before(['wk1', 'wk2'], r)).toEqual(['drained wk1: 0 pod(s) evicted (it was cordoned already and stays so)', 'drained wk2: 0 pod(s) evicted']);
    expect(annotations('wk1')[UPGRADE_CORDON]).toBeUndefined();
    api.put('/api/v1/nodes', node('wk1', { version: TARGET, unschedulable: true }));
    await expect(guard.after(['wk1', 'wk2'], r)).rejects.toThrow(`node wk2 reports kubelet v1.35.6, not ${TARGET} after 2 s; it stays cordoned`);
    expect(spec('wk1').unschedulable).toBe(true);
    expect(spec('wk2').unschedulable).toBe(true);
  });

  it('refuses a bare pod before anything changes, naming the flags; the next run releases a cordon an interrupted run left', async () => {
    api.put('/api/v1/nodes', node('wk1'));
    api.put('/api/v1/namespaces/apps/pods', pod('bare', 'wk1', false));
    const guard = upgradeDrain(access, { drainTimeoutMs: 5000, force: false, deleteEmptyDirData: false, pollMs: 20 });
    await expect(guard.before(['wk1'], io(upgrading, ['wk1']))).rejects.toThrow(/not draining wk1: apps\/bare: no controller manages it.*--force.*--no-drain/);
    expect(spec('wk1').unschedulable).toBeUndefined();
    api.put('/api/v1/nodes', node('wk1', { version: TARGET, unschedulable: true, mark: TARGET }));
    api.put('/api/v1/nodes', node('wk2', { unschedulable: true, mark: TARGET }));
    // wk2's earlier cordon is this upgrade's own: drained again, then released after its restart.
    expect(await guard.before(['wk2'], io(upgrading, ['wk2']))).toEqual(['drained wk2: 0 pod(s) evicted (cordoned by an earlier run of this upgrade)']);
    expect(await guard.start(io(upgrading, []))).toEqual([`uncordoned wk1: Ready on ${TARGET} (left cordoned by an earlier, interrupted upgrade)`]);
    expect(spec('wk1').unschedulable).toBe(false);
    expect(spec('wk2').unschedulable).toBe(true); // still on the old kubelet: its restart in this rollout releases it
  });

  it('dry-run says what it would do and calls nothing', async () => {
    const guard = upgradeDrain(access, { drainTimeoutMs: 5000, force: false, deleteEmptyDirData: false, pollMs: 20 });
    expect(await guard.before(['wk1', 'wk2'], io(upgrading, ['wk1'], true))).toEqual([`would cordon and drain wk1 before replacing its kubelet (${TARGET})`]);
    expect(await guard.start(io(upgrading, [], true))).toEqual([]);
    expect(api.requests).toEqual([]);
  });
});
