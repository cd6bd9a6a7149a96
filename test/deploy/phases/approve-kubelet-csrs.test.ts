/**
 * The approve-kubelet-csrs phase through the runner, against the fake apiserver (there is no
 * kube-apiserver binary on this machine or in CI: test/support/fake-apiserver.ts speaks real HTTPS
 * with client-certificate authentication and signs approved CSRs with openssl, as the
 * controller-manager's signer would). CSRs are built the way a kubelet builds them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveKubeletCsrsPhase } from '../../../src/deploy/phases/approve-kubelet-csrs.js';
import { PhaseError } from '../../../src/shared/errors.js';
import type { CsrObject } from '../../../src/pki/csr.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { startFakeApiServer, wireCsr, type FakeApiServer } from '../../support/fake-apiserver.js';
import { bootstrapClientCsr, servingCsr } from '../../support/kubelet-csr.js';
import { makeTestPki, type TestPki } from '../../kube/support/test-pki.js';
import { realPlan } from './_real-plan.js';
import { clockBefore, fakeAccess, fleet, printed, runApiPhases } from './_api-fixture.js';

const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const NODES = '/api/v1/nodes';
let pki: TestPki;
let api: FakeApiServer;
let plan: ClusterPlan;

beforeAll(async () => {
  pki = makeTestPki();
  [api, plan] = await Promise.all([startFakeApiServer(pki, { signer: true }), realPlan()]);
});
afterAll(async () => api?.close());
beforeEach(() => {
  api.objects.clear();
  api.requests.length = 0;
});

const submit = (csr: CsrObject): void => void api.put(CSR, wireCsr(csr));
const node = (name: string, ready: boolean): void =>
  void api.put(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions: [ready ? { type: 'Ready', status: 'True' } : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready: cni plugin not initialized' }] },
  });
const nodeNames = (): string[] => plan.hosts.filter((h) => h.host.roles.includes('worker') || h.host.roles.includes('control-plane')).map((h) => h.host.name);
const ipOf = (n: string): string => plan.hosts.find((h) => h.host.name === n)?.host.internalIP ?? '';
const approved = (): string[] => api.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/approval')).map((r) => decodeURIComponent(r.path.split('/').at(-2) ?? ''));

describe('approve-kubelet-csrs', () => {
  it('approves only CSRs that match the inventory, waits for issued certificates and Ready nodes', async () => {
    const good: string[] = [];
    for (const n of nodeNames()) {
      const client = await bootstrapClientCsr(n, plan.bootstrapToken.id);
      const serving = await servingCsr(n, ipOf(n));
      submit(client);
      submit(serving);
      good.push(client.name, serving.name);
      node(n, true);
    }
    const wrongIp = await servingCsr('node01', '10.9.9.9');
    const foreignToken = await bootstrapClientCsr('node02', 'zzzzzz');
    const unknownNode = await servingCsr('intruder', '192.168.80.99');
    for (const c of [wrongIp, foreignToken, unknownNode]) submit(c);
    const clock = clockBefore(plan.bootstrapToken.expires);
    const events = await runApiPhases(plan, fleet(plan, true), [approveKubeletCsrsPhase(fakeAccess(api, pki, clock), { pollMs: 50 })], { clock });
    expect(approved().sort()).toEqual([...good].sort());
    const out = printed(events);
    expect(out).toContain('Kubelet certificates and node readiness');
    for (const n of nodeNames()) expect(out).toContain(`${n} | issued | issued | Ready`);
    for (const c of [wrongIp, foreignToken, unknownNode]) {
      const conds = (api.objects.get(`${CSR}/${c.name}`)?.['status'] as { conditions?: unknown[] } | undefined)?.conditions ?? [];
      expect(conds, c.name).toEqual([]);
    }
  });

  it('fails each straggler as its host, with the reason, once the deadline passes', async () => {
    for (const n of nodeNames().filter((x) => x !== 'node02')) {
      submit(await bootstrapClientCsr(n, plan.bootstrapToken.id));
      submit(await servingCsr(n, ipOf(n)));
      node(n, n !== 'node01');
    }
    const clock = clockBefore(plan.bootstrapToken.expires);
    const t0 = Date.now();
    const err = await runApiPhases(plan, fleet(plan, true), [approveKubeletCsrsPhase(fakeAccess(api, pki, clock), { pollMs: 100 })], { clock, verifyTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(err).toBeInstanceOf(PhaseError);
    const failures = (err as PhaseError).failures.map((f) => `${f.host}: ${f.error.message}`);
    expect(failures).toEqual([
      expect.stringMatching(/^node01: node not Ready by the deadline: KubeletNotReady: container runtime network not ready/),
      expect.stringMatching(/^node02: no issued kubelet client and serving certificate by the deadline/),
    ]);
  });

  it('dry-run calls no API and says what it would approve', async () => {
    submit(await bootstrapClientCsr('node01', plan.bootstrapToken.id));
    api.requests.length = 0;
    const clock = clockBefore(plan.bootstrapToken.expires);
    const access = fakeAccess(api, pki, clock);
    const events = await runApiPhases(plan, fleet(plan, true), [approveKubeletCsrsPhase(access, { pollMs: 50 })], { clock, dryRun: true });
    expect(access.opened).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(printed(events)).toContain("node01: skipped: API: approve node01's kubelet client and serving CSRs that match the inventory, then wait for the node to be Ready");
  });

  it('is skipped with the reason when kubelet is a stub (it was not started)', async () => {
    submit(await bootstrapClientCsr('node01', plan.bootstrapToken.id));
    api.requests.length = 0;
    const clock = clockBefore(plan.bootstrapToken.expires);
    const access = fakeAccess(api, pki, clock);
    const events = await runApiPhases(plan, fleet(plan, false), [approveKubeletCsrsPhase(access, { pollMs: 50 })], { clock });
    expect(access.opened).toEqual([]);
    expect(api.requests).toEqual([]);
    const out = printed(events);
    expect(out).toContain('Kubelet certificates and node readiness (skipped)');
    expect(out.join('\n')).toMatch(/node01 \| - \| - \| skipped: \S+\/kubelet does not run \(--version failed: a stub or missing binary\)/);
  });
});
