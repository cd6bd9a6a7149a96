/**
 * approve-kubelet-csrs after a kubelet's certificates expired (issue #12 part 3). The cluster
 * still has the node's Node object and, within the hour, its old issued CSRs: judged by the API
 * alone the node "has" both certificates and the phase would end before the restarted kubelet
 * even sent its new CSRs, leaving the serving one pending forever. The host's own files decide:
 * while the kubelet's certificate on the host is expired, the node is not done, and the new CSRs
 * are approved when they arrive. Fake apiserver (no kube-apiserver here), fake hosts answering the
 * certificate probe with real certificates.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveKubeletCsrsPhase } from '../../../src/deploy/phases/approve-kubelet-csrs.js';
import { kubeletClientCertPath } from '../../../src/deploy/expired-certs.js';
import { kubeletServingCertPath } from '../../../src/deploy/phases/_kubelet-certs.js';
import type { CsrObject } from '../../../src/pki/csr.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { startFakeApiServer, wireCsr, type FakeApiServer } from '../../support/fake-apiserver.js';
import { bootstrapClientCsr, servingCsr } from '../../support/kubelet-csr.js';
import { datedCert } from '../../support/dated-cert.js';
import { makeTestPki, type TestPki } from '../../kube/support/test-pki.js';
import { realPlan } from './_real-plan.js';
import { clockBefore, fakeAccess, fleet, printed, runApiPhases } from './_api-fixture.js';

const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
let pki: TestPki;
let api: FakeApiServer;
let plan: ClusterPlan;
let expired: string;
let valid: string;

beforeAll(async () => {
  pki = makeTestPki();
  [api, plan, expired, valid] = await Promise.all([startFakeApiServer(pki, { signer: true }), realPlan(), datedCert(new Date(Date.now() - 86_400_000)), datedCert(new Date(Date.now() + 300 * 86_400_000))]);
});
afterAll(async () => api?.close());
beforeEach(() => {
  api.objects.clear();
  api.requests.length = 0;
});

const submit = (csr: CsrObject): void => void api.put(CSR, wireCsr(csr));
const readyNode = (name: string): void => void api.put('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
const nodeNames = (): string[] => plan.hosts.filter((h) => h.host.roles.includes('worker') || h.host.roles.includes('control-plane')).map((h) => h.host.name);
const ipOf = (n: string): string => plan.hosts.find((h) => h.host.name === n)?.host.internalIP ?? '';
const approved = (): string[] => api.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/approval')).map((r) => decodeURIComponent(r.path.split('/').at(-2) ?? ''));
const isApproved = (name: string): boolean =>
  ((api.objects.get(`${CSR}/${name}`)?.['status'] as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Approved');

describe('approve-kubelet-csrs after a kubelet certificate expired', () => {
  it('waits for the re-bootstrapped kubelet: its new CSRs are approved although old ones were issued and the Node is Ready', async () => {
    // Every node bootstrapped before: CSRs (approved in the phase's first round) and a Ready Node.
    for (const n of nodeNames()) {
      submit(await bootstrapClientCsr(n, plan.bootstrapToken.id));
      submit(await servingCsr(n, ipOf(n)));
      readyNode(n);
    }
    // node01's kubelet was restarted on an expired certificate: it sends new CSRs a moment later,
    // and holds valid certificates only once those were approved (and signed).
    const fresh = [await bootstrapClientCsr('node01', plan.bootstrapToken.id), await servingCsr('node01', ipOf('node01'))];
    let sent = false;
    const hosts = fleet(plan, true);
    hosts.get('node01')?.on(
      (argv) => argv[0] === 'sh' && String(argv[2]).includes('@leafcerts'),
      () => {
        if (!sent) {
          sent = true;
          setTimeout(() => fresh.forEach(submit), 400);
        }
        const renewed = fresh.every((c) => isApproved(c.name));
        const pem = renewed ? valid : expired;
        const out = ['@time', String(Date.now()), '@leafcerts', `#kubesmith-file ${kubeletClientCertPath(plan)}`, pem.trimEnd(), `#kubesmith-file ${kubeletServingCertPath(plan)}`, pem.trimEnd(), ''].join('\n');
        return { exitCode: 0, stdout: out, stderr: '' };
      },
    );
    const clock = clockBefore(plan.bootstrapToken.expires);
    const events = await runApiPhases(plan, hosts, [approveKubeletCsrsPhase(fakeAccess(api, pki, clock), { pollMs: 50 })], { clock });
    expect(approved()).toEqual(expect.arrayContaining(fresh.map((c) => c.name)));
    expect(printed(events).join('\n')).toContain('node01 | issued | issued | Ready');
  });

  it('fails the node, not the run, when its kubelet never renews the expired certificate', async () => {
    for (const n of nodeNames()) {
      submit(await bootstrapClientCsr(n, plan.bootstrapToken.id));
      submit(await servingCsr(n, ipOf(n)));
      readyNode(n);
    }
    const hosts = fleet(plan, true);
    const out = ['@time', String(Date.now()), '@leafcerts', `#kubesmith-file ${kubeletClientCertPath(plan)}`, expired.trimEnd(), ''].join('\n');
    hosts.get('node02')?.on((argv) => argv[0] === 'sh' && String(argv[2]).includes('@leafcerts'), { exitCode: 0, stdout: out, stderr: '' });
    const clock = clockBefore(plan.bootstrapToken.expires);
    const err = (await runApiPhases(plan, hosts, [approveKubeletCsrsPhase(fakeAccess(api, pki, clock), { pollMs: 50 })], { clock, verifyTimeoutMs: 8000 }).catch((e: unknown) => e)) as { failures?: { host: string; error: Error }[] };
    // (On a loaded machine other nodes' serving certificates may also miss this short deadline.)
    expect(err.failures?.map((f) => `${f.host}: ${f.error.message}`)).toEqual(expect.arrayContaining([expect.stringMatching(/^node02: no issued kubelet client certificate by the deadline/)]));
  });
});
