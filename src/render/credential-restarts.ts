/**
 * Which services read which credential, so a renewed certificate restarts exactly its readers.
 * Keyed by catalogue id (per-host ids "etcd-server@h" use their base id).
 */
import { CERT } from './credentials.js';

const READERS: Readonly<Record<string, readonly string[]>> = {
  [CERT.kubernetesCa]: ['kube-apiserver.service', 'kube-controller-manager.service', 'kubelet.service'],
  [CERT.etcdCa]: ['etcd.service', 'kube-apiserver.service'],
  [CERT.frontProxyCa]: ['kube-apiserver.service', 'kube-controller-manager.service'],
  [CERT.serviceAccount]: ['kube-apiserver.service', 'kube-controller-manager.service'],
  [CERT.apiserver]: ['kube-apiserver.service'],
  [CERT.apiserverKubeletClient]: ['kube-apiserver.service'],
  [CERT.apiserverEtcdClient]: ['kube-apiserver.service'],
  [CERT.frontProxyClient]: ['kube-apiserver.service'],
  [CERT.etcdServer]: ['etcd.service'],
  [CERT.etcdPeer]: ['etcd.service'],
  // The CA certificate alone for the CSR signer while ca.pem is a rotation bundle (pki/install.ts).
  [`${CERT.kubernetesCa}-signing`]: ['kube-controller-manager.service'],
};

/** Private keys read by fewer services than their certificate. */
const KEY_READERS: Readonly<Record<string, readonly string[]>> = {
  // Only the CSR signer uses the CA key.
  [CERT.kubernetesCa]: ['kube-controller-manager.service'],
};

/**
 * Units on this host (`hostUnits`) that read credential `certId`. A copy under the etcd root is
 * read only by etcd; a copy under the Kubernetes root never by etcd (etcd-ca is installed in both
 * on a host that is an etcd member and a control-plane host).
 */
export function credentialRestarts(certId: string, secret: boolean, underEtcdRoot: boolean, hostUnits: readonly string[]): readonly string[] {
  const base = certId.split('@')[0] ?? certId;
  const readers = (secret ? KEY_READERS[base] : undefined) ?? READERS[base] ?? [];
  return readers.filter((u) => hostUnits.includes(u) && (u === 'etcd.service') === underEtcdRoot);
}
