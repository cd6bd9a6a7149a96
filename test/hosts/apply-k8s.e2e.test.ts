/**
 * The whole way with real Kubernetes: `kubesmith apply` on three test hosts (systemd-nspawn + sshd +
 * systemd, test-hosts.md): cp1 runs etcd and the control plane, wk1 and wk2 etcd and a worker, and
 * cp1's kubelet joins as a node too. The checks (k8s-checks.ts): etcd healthy, /readyz, leases,
 * kubelets bootstrapped with the token and their CSRs approved, nodes Ready; busybox pods on each
 * worker with `kubectl logs/exec`, pod-to-pod across nodes and a Service ClusterIP; `kubesmith
 * status`; a second apply changes nothing and restarts nothing. The HA variants (two control
 * planes, local proxy and VIP) are apply-k8s-ha.e2e.test.ts.
 *
 * KUBESMITH_E2E_K8S_BUNDLE names a kubernetes-server-linux-amd64.tar.gz (no registry here has
 * one); the version under test is read from its kubectl, so one run covers one minor (v1.36.3, or
 * v1.35.6 with its tarball). How the hosts stand in for real nodes: k8s-env.ts.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { k8sChecks } from './k8s-checks.js';
import { k8sRuntimeChecks } from './k8s-runtime-checks.js';
import { k8sRemoveCheck } from './k8s-remove-check.js';
import { k8sSkipReason, setupK8sEnv, teardownK8sEnv, type K8sEnv } from './k8s-env.js';

const reason = k8sSkipReason('test/hosts/apply-k8s.e2e.test.ts');

const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];

describe.skipIf(reason !== undefined)('apply with real Kubernetes binaries on test hosts', () => {
  let k: K8sEnv | undefined;
  beforeAll(async () => {
    k = await setupK8sEnv(HOSTS);
  }, 300_000);
  afterAll(() => teardownK8sEnv(k, 'one control plane'), 300_000);

  k8sChecks(() => k as K8sEnv, { nodes: ['cp1', 'wk1', 'wk2'], etcd: ['cp1', 'wk1', 'wk2'], controlPlanes: ['cp1'], podNodes: ['wk1', 'wk2'] });
  k8sRuntimeChecks(() => k as K8sEnv, { nodes: ['cp1', 'wk1', 'wk2'], etcd: ['cp1', 'wk1', 'wk2'] });
  // Last: it takes wk2 out of the cluster.
  k8sRemoveCheck(() => k as K8sEnv, { target: 'wk2', other: 'wk1', etcdAfter: ['cp1', 'wk1'] });
});

describe.skipIf(reason === undefined)('apply with real Kubernetes binaries on test hosts', () => {
  it.skip(`skipped: ${reason ?? ''}`, () => undefined);
});
