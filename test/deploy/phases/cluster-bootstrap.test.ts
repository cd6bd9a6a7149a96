/**
 * The cluster-bootstrap phase through the runner, against the fake apiserver (there is no
 * kube-apiserver binary on this machine or in CI, so the API side is test/support/fake-apiserver.ts
 * with real HTTPS and client-certificate authentication; the hosts are in-memory).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clusterBootstrapPhase } from '../../../src/deploy/phases/cluster-bootstrap.js';
import { applyPhases } from '../../../src/deploy/phases/index.js';
import { selectPhases } from '../../../src/deploy/phases/select.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { makeTestPki, type TestPki } from '../../kube/support/test-pki.js';
import { realPlan } from './_real-plan.js';
import { clockBefore, fakeAccess, fleet, printed, runApiPhases } from './_api-fixture.js';

let pki: TestPki;
let api: FakeApiServer;
let plan: ClusterPlan;

beforeAll(async () => {
  pki = makeTestPki();
  [api, plan] = await Promise.all([startFakeApiServer(pki), realPlan()]);
});
afterAll(async () => api?.close());
beforeEach(() => {
  api.objects.clear();
  api.requests.length = 0;
});

const writes = (): string[] => api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.user} ${r.method} ${decodeURIComponent(r.path)}`);

describe('cluster-bootstrap', () => {
  it('applies the super-admin binding as the super-admin, the rest as the admin, through the first control-plane host; a re-run changes nothing', async () => {
    const clock = clockBefore(plan.bootstrapToken.expires);
    const access = fakeAccess(api, pki, clock);
    const phase = clusterBootstrapPhase(access);
    const first = await runApiPhases(plan, fleet(plan, true), [phase], { clock });
    expect(access.opened).toEqual(['master01 super-admin', 'master01 admin']);
    const w = writes();
    expect(w[0]).toBe('kubernetes-super-admin POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings');
    expect(w.slice(1).every((x) => x.startsWith('kubernetes-admin '))).toBe(true);
    for (const path of [
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kubeadm:cluster-admins',
      `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${plan.bootstrapToken.id}`,
      '/apis/apps/v1/namespaces/kube-flannel/daemonsets/kube-flannel-ds',
      '/apis/apps/v1/namespaces/kube-system/deployments/coredns',
    ]) {
      expect([...api.objects.keys()], path).toContain(path);
    }
    expect(printed(first).join('\n')).toMatch(/master01: cluster objects via master01's apiserver: \d+ created/);
    expect(printed(first).join('\n')).not.toContain(plan.bootstrapToken.secret);

    api.requests.length = 0;
    const second = await runApiPhases(plan, fleet(plan, true), [clusterBootstrapPhase(access)], { clock });
    expect(writes()).toEqual([]);
    expect(printed(second).join('\n')).toMatch(/master01: cluster objects via master01's apiserver: \d+ unchanged$/m);
  });

  it('dry-run lists every object with its identity and calls no API at all', async () => {
    const clock = clockBefore(plan.bootstrapToken.expires);
    const access = fakeAccess(api, pki, clock);
    const events = await runApiPhases(plan, fleet(plan, true), [clusterBootstrapPhase(access)], { clock, dryRun: true });
    expect(access.opened).toEqual([]);
    expect(api.requests).toEqual([]);
    const out = printed(events);
    expect(out).toContain('master01: skipped: API: apply ClusterRoleBinding/kubeadm:cluster-admins (cluster-admins-rbac, as super-admin)');
    expect(out).toContain(`master01: skipped: API: apply Secret/kube-system/bootstrap-token-${plan.bootstrapToken.id} (bootstrap-token-secret, as admin)`);
    expect(out).toContain('master01: skipped: API: apply Deployment/kube-system/coredns (coredns, as admin)');
    expect(out.filter((l) => l.startsWith('master02:'))).toEqual([]); // one host talks to the API
  });

  it('is skipped with the reason when the apiserver binary is a stub (it was not started)', async () => {
    const clock = clockBefore(plan.bootstrapToken.expires);
    const access = fakeAccess(api, pki, clock);
    const events = await runApiPhases(plan, fleet(plan, false), [clusterBootstrapPhase(access)], { clock });
    expect(access.opened).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(printed(events).join('\n')).toMatch(/master01: cluster objects skipped: \S+\/kube-apiserver does not run \(--version failed: a stub or missing binary\)/);
  });

  it('talks through the next control-plane host when the first is not part of the run (--limit)', async () => {
    const clock = clockBefore(plan.bootstrapToken.expires);
    const access = fakeAccess(api, pki, clock);
    const hosts = fleet(plan, true);
    hosts.delete('master01');
    const limited = { ...plan, hosts: plan.hosts.filter((h) => h.host.name !== 'master01') };
    await runApiPhases(limited, hosts, [clusterBootstrapPhase(access)], { clock });
    expect(access.opened).toEqual(['master02 super-admin', 'master02 admin']);
  });

  it('is a phase --only and --skip can name, between control-plane and nodes', () => {
    const phases = applyPhases(fakeAccess(api, pki, clockBefore(plan.bootstrapToken.expires)));
    const ids = phases.map((p) => p.id);
    expect(ids.slice(ids.indexOf('control-plane'))).toEqual(['control-plane', 'cluster-bootstrap', 'nodes', 'approve-kubelet-csrs', 'verify']);
    expect(selectPhases(phases, ['cluster-bootstrap']).map((p) => p.id)).toEqual(['connect', 'lock', 'gather-facts', 'cluster-bootstrap']);
    expect(selectPhases(phases, undefined, ['cluster-bootstrap', 'approve-kubelet-csrs']).map((p) => p.id)).not.toContain('cluster-bootstrap');
  });
});
