/**
 * Objects shaped as the control plane and kubelets write them (Node, Lease, CSR), and KubeClients to
 * fake apiservers, for the status tests. The fake stands in for kube-apiserver because no
 * kube-apiserver binary exists here (test/support/fake-apiserver.ts); TLS and client-cert auth are real.
 */
import { KubeClient } from '../../../src/kube/client.js';
import { createHttpsTransport } from '../../../src/kube/https-transport.js';
import type { CsrObject } from '../../../src/pki/csr.js';
import type { FakeApiServer } from '../../support/fake-apiserver.js';
import type { TestPki } from '../../kube/support/test-pki.js';

export const NODES = '/api/v1/nodes';
export const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
export const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** A client to the fake as the admin (no retries: status probes once). */
export function adminClient(pki: TestPki, api: FakeApiServer): KubeClient {
  const transport = createHttpsTransport({ caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem }, { kind: 'direct', host: '127.0.0.1', port: api.port });
  return new KubeClient({ transport, clock: { now: () => new Date() }, retryForMs: 0 });
}

/** A Node as the kubelet registers it; `pressure` conditions are set True. */
export function node(name: string, ip: string, ready: 'True' | 'False', pressure: readonly string[] = []): Record<string, unknown> {
  const conds = ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, status: pressure.includes(type) ? 'True' : 'False' }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      conditions: [...conds, { type: 'Ready', status: ready }],
      nodeInfo: { kubeletVersion: 'v1.31.2' },
      addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
    },
  };
}

/** A leader-election Lease renewed `agoSeconds` before `now`. */
export function lease(component: string, holder: string, now: Date, agoSeconds: number): Record<string, unknown> {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: component, namespace: 'kube-system' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: new Date(now.getTime() - agoSeconds * 1000).toISOString().replace('Z', '000Z') },
  };
}

/** A CSR in wire form. */
export { wireCsr } from '../../support/fake-apiserver.js';
