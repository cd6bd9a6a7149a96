/**
 * approve-kubelet-csrs with `cluster.cni: none`: kubesmith installs no pod network, so a node that is
 * NotReady only because no CNI is there is reported as waiting for one (after a short grace for a
 * CNI that is already in place), not failed; a node NotReady for another reason still fails. The
 * plan says so. Against the fake apiserver, as approve-kubelet-csrs.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveKubeletCsrsPhase } from '../../../src/deploy/phases/approve-kubelet-csrs.js';
import { PhaseError } from '../../../src/shared/errors.js';
import type { CsrObject } from '../../../src/pki/csr.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { startFakeApiServer, wireCsr, type FakeApiServer } from '../../support/fake-apiserver.js';
import { bootstrapClientCsr, servingCsr } from '../../support/kubelet-csr.js';
import { makeTestPki, type TestPki } from '../../kube/support/test-pki.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';
import { clockBefore, fakeAccess, fleet, printed, runApiPhases } from './_api-fixture.js';

const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const NODES = '/api/v1/nodes';
const NO_CNI = { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized' };
const PLEG = { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy: pleg was last seen active 3m0s ago' };
let pki: TestPki;
let api: FakeApiServer;
let plan: ClusterPlan;

beforeAll(async () => {
  pki = makeTestPki();
  const base = exampleInventory();
  [api, plan] = await Promise.all([startFakeApiServer(pki, { signer: true }), realPlan(exampleInventory({ cluster: { ...base.cluster, cni: 'none' } }))]);
});
afterAll(async () => api?.close());

const submit = (csr: CsrObject): void => void api.put(CSR, wireCsr(csr));
const nodeNames = (): string[] => plan.hosts.filter((h) => h.host.roles.includes('worker') || h.host.roles.includes('control-plane')).map((h) => h.host.name);
const ipOf = (n: string): string => plan.hosts.find((h) => h.host.name === n)?.host.internalIP ?? '';

describe('approve-kubelet-csrs with cluster.cni: none', () => {
  it('plan says nodes stay NotReady until a CNI is installed', async () => {
    const clock = clockBefore(plan.bootstrapToken.expires);
    const events = await runApiPhases(plan, fleet(plan, true), [approveKubeletCsrsPhase(fakeAccess(api, pki, clock), { pollMs: 50 })], { clock, dryRun: true });
    expect(printed(events).join('\n')).toContain('then wait for the node to be Ready (cluster.cni is none: install a CNI, then the node turns Ready; nodes stay NotReady until then)');
  });

  it('a node waiting for a CNI is reported as such, not failed, once the grace has passed', async () => {
    await csrsAndNodes((n) => (n === 'node01' ? { type: 'Ready', status: 'True' } : NO_CNI));
    const clock = clockBefore(plan.bootstrapToken.expires);
    const t0 = Date.now();
    const out = printed(await runApiPhases(plan, fleet(plan, true), [approveKubeletCsrsPhase(fakeAccess(api, pki, clock), { pollMs: 50, cniGraceMs: 300 })], { clock }));
    // The grace, not the phase's 10-minute deadline, ended the wait.
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(out).toContain('node01 | issued | issued | Ready');
    for (const n of nodeNames().filter((x) => x !== 'node01')) {
      expect(out.find((l) => l.startsWith(`${n} |`)), n).toMatch(/^\S+ \| issued \| issued \| NotReady: KubeletNotReady: container runtime network not ready.* \(cluster.cni is none: install a CNI, then the node turns Ready\)$/);
    }
  });

  it('a node NotReady for another reason still fails as its host', async () => {
    await csrsAndNodes((n) => (n === 'node01' ? PLEG : NO_CNI));
    const clock = clockBefore(plan.bootstrapToken.expires);
    const err = await runApiPhases(plan, fleet(plan, true), [approveKubeletCsrsPhase(fakeAccess(api, pki, clock), { pollMs: 50, cniGraceMs: 300 })], { clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseError);
    expect((err as PhaseError).failures.map((f) => `${f.host}: ${f.error.message}`)).toEqual([expect.stringMatching(/^node01: node not Ready by the deadline: KubeletNotReady: PLEG is not healthy/)]);
  });
});

/** Fresh CSRs (client and serving) for every node, and Node objects with the given Ready condition. */
async function csrsAndNodes(ready: (node: string) => Record<string, string>): Promise<void> {
  api.objects.clear();
  for (const n of nodeNames()) {
    submit(await bootstrapClientCsr(n, plan.bootstrapToken.id));
    submit(await servingCsr(n, ipOf(n)));
    api.put(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: n }, status: { conditions: [ready(n)] } });
  }
}
