/**
 * Placeholder for the full kubelet CSR path on real test hosts: a real kube-apiserver and
 * kube-controller-manager from the offline bundle (KUBESMITH_E2E_K8S_BUNDLE), kubelets that
 * bootstrap with the token, and `kubesmith approve --watch` approving their serving CSRs.
 * It needs the deployer (`kubesmith apply`) to bring those up, which lands in a later session;
 * until then this stays skipped, and says why, rather than pretending.
 */
import { describe, it } from 'vitest';

const bundle = process.env['KUBESMITH_E2E_K8S_BUNDLE'];
const reason = bundle
  ? 'not written yet: needs `kubesmith apply` (the deployer) to start kube-apiserver, kube-controller-manager and kubelets on the test hosts (issue 5, later session)'
  : 'KUBESMITH_E2E_K8S_BUNDLE is not set (a directory with the kubernetes-server/node release tarballs), and the test itself needs the deployer (later session)';

describe('approve on real test hosts with a real kube-apiserver', () => {
  it.skip(`kubelets bootstrap, approve --watch issues every client and serving certificate [skipped: ${reason}]`, () => {});
});
