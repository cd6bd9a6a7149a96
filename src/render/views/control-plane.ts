/**
 * Flags of kube-apiserver, kube-controller-manager and kube-scheduler. These tie the PKI together
 * exactly as pki-spec.md §3 lists (kubeadm's controlplane/manifests.go is the reference).
 */
import type { Inventory, InventoryHost } from '../../inventory/types.js';
import { hostsWithRole } from '../../inventory/types.js';
import { signingCertId } from '../../pki/install.js';
import { CERT, type CredentialPaths } from '../credentials.js';
import { apiserverBindAddress, hostPart } from '../endpoints.js';
import type { RemoteLayout } from '../layout.js';
import { appliesTo, K8S_RULES } from '../flags-by-version.js';
import type { Version } from '../../shared/semver.js';
import { flag, type UnitView } from './unit-view.js';

/** Kubeconfig paths of the control-plane components on every control-plane host. */
export function controlPlaneKubeconfigs(layout: RemoteLayout): { readonly controllerManager: string; readonly scheduler: string } {
  return {
    controllerManager: `${layout.k8sCfg}/kube-controller-manager.kubeconfig`,
    scheduler: `${layout.k8sCfg}/kube-scheduler.kubeconfig`,
  };
}

/**
 * The mixed-version proxy (flags-by-version.ts apiserverPeerProxy): with 2+ apiservers from v1.36,
 * a peer's serving certificate is the shared apiserver certificate, signed by the kubernetes CA
 * and carrying every control-plane IP (pki/profiles.yaml), and the proxied request authenticates
 * with the front-proxy client certificate, which every apiserver already trusts.
 */
function peerProxyFlags(inv: Inventory, host: InventoryHost, creds: CredentialPaths, k8s: Version): readonly string[] {
  if (hostsWithRole(inv, 'control-plane').length < 2 || !appliesTo(K8S_RULES.apiserverPeerProxy, k8s)) return [];
  return [
    flag('peer-ca-file', creds.cert(CERT.kubernetesCa)),
    flag('peer-advertise-ip', host.internalIP),
    flag('peer-advertise-port', inv.cluster.apiServer.port),
  ];
}

/** kube-apiserver on `host`. */
export function apiserverView(inv: Inventory, host: InventoryHost, layout: RemoteLayout, creds: CredentialPaths, k8s: Version): UnitView {
  const c = inv.cluster;
  // Every etcd member, not only a local one: etcd hosts and control-plane hosts may differ.
  const etcdServers = hostsWithRole(inv, 'etcd').map((h) => `https://${hostPart(h.internalIP)}:2379`);
  return {
    exec: `${layout.k8sBin}/kube-apiserver`,
    args: [
      flag('advertise-address', host.internalIP),
      flag('bind-address', apiserverBindAddress(inv, host)),
      flag('secure-port', c.apiServer.port),
      flag('allow-privileged', true),
      flag('authorization-mode', 'Node,RBAC'),
      flag('enable-admission-plugins', 'NodeRestriction'),
      flag('enable-bootstrap-token-auth', true),
      flag('service-cluster-ip-range', c.serviceCIDR),
      flag('client-ca-file', creds.cert(CERT.kubernetesCa)),
      flag('tls-cert-file', creds.cert(CERT.apiserver)),
      flag('tls-private-key-file', creds.key(CERT.apiserver)),
      flag('kubelet-client-certificate', creds.cert(CERT.apiserverKubeletClient)),
      flag('kubelet-client-key', creds.key(CERT.apiserverKubeletClient)),
      // why InternalIP first: node names need not resolve on the control plane (classic guide).
      flag('kubelet-preferred-address-types', 'InternalIP,Hostname'),
      flag('etcd-servers', etcdServers.join(',')),
      flag('etcd-cafile', creds.cert(CERT.etcdCa, inv.paths.kubernetes.replace(/\/+$/, ''))),
      flag('etcd-certfile', creds.cert(CERT.apiserverEtcdClient)),
      flag('etcd-keyfile', creds.key(CERT.apiserverEtcdClient)),
      flag('service-account-issuer', `https://kubernetes.default.svc.${c.clusterDomain}`),
      flag('service-account-key-file', creds.cert(CERT.serviceAccount)),
      flag('service-account-signing-key-file', creds.key(CERT.serviceAccount)),
      flag('requestheader-client-ca-file', creds.cert(CERT.frontProxyCa)),
      // Must equal the front-proxy client certificate's CN (pki-spec.md §3).
      flag('requestheader-allowed-names', 'front-proxy-client'),
      flag('requestheader-username-headers', 'X-Remote-User'),
      flag('requestheader-group-headers', 'X-Remote-Group'),
      flag('requestheader-extra-headers-prefix', 'X-Remote-Extra-'),
      flag('proxy-client-cert-file', creds.cert(CERT.frontProxyClient)),
      flag('proxy-client-key-file', creds.key(CERT.frontProxyClient)),
      ...peerProxyFlags(inv, host, creds, k8s),
      // A stopping apiserver otherwise waits up to --request-timeout (60 s) for its open watches in
      // net/http's Shutdown: every restart took 62 s (real v1.36.3, "Failed to shutdown server:
      // context deadline exceeded"). With it, the server drains its in-flight requests, answers new
      // ones 429 + Retry-After (client-go retries), and closes the rest after 2 s: 4.4 s. The rolling
      // restart has taken it out of every proxy by then. Flag present in every supported version.
      flag('shutdown-send-retry-after', true),
      flag('v', 2),
    ],
  };
}

/** kube-controller-manager on `host`. */
export function controllerManagerView(inv: Inventory, layout: RemoteLayout, creds: CredentialPaths): UnitView {
  const kubeconfig = controlPlaneKubeconfigs(layout).controllerManager;
  return {
    exec: `${layout.k8sBin}/kube-controller-manager`,
    args: [
      flag('bind-address', '127.0.0.1'),
      flag('kubeconfig', kubeconfig),
      flag('authentication-kubeconfig', kubeconfig),
      flag('authorization-kubeconfig', kubeconfig),
      flag('leader-elect', true),
      flag('client-ca-file', creds.cert(CERT.kubernetesCa)),
      flag('requestheader-client-ca-file', creds.cert(CERT.frontProxyCa)),
      flag('root-ca-file', creds.cert(CERT.kubernetesCa)),
      flag('service-account-private-key-file', creds.key(CERT.serviceAccount)),
      flag('use-service-account-credentials', true),
      // bootstrapsigner signs cluster-info; tokencleaner deletes expired bootstrap tokens.
      flag('controllers', '*,bootstrapsigner,tokencleaner'),
      // Signs approved kubelet CSRs: must be the kubernetes CA itself, not a bundle (pki-spec.md §3).
      // Keyless mode (the CA key kept offline): no signer at all, as kubeadm's external-CA mode;
      // the plan says so (src/pki/keyless.ts) rather than pointing KCM at a key that is not there.
      ...(creds.hasKey(CERT.kubernetesCa)
        ? [
            // While the CA is rotated its ca.pem holds two certificates; the signer gets the one that signs.
            flag('cluster-signing-cert-file', creds.cert(creds.has(signingCertId(CERT.kubernetesCa)) ? signingCertId(CERT.kubernetesCa) : CERT.kubernetesCa)),
            flag('cluster-signing-key-file', creds.key(CERT.kubernetesCa)),
            flag('cluster-signing-duration', `${inv.pki.leafValidityDays * 24}h`),
          ]
        : []),
      // flannel reads each Node's spec.podCIDR, which only the node-ipam controller fills in.
      flag('allocate-node-cidrs', true),
      flag('cluster-cidr', inv.cluster.podCIDR),
      flag('service-cluster-ip-range', inv.cluster.serviceCIDR),
      flag('v', 2),
    ],
  };
}

/** kube-scheduler on `host`. */
export function schedulerView(layout: RemoteLayout): UnitView {
  const kubeconfig = controlPlaneKubeconfigs(layout).scheduler;
  return {
    exec: `${layout.k8sBin}/kube-scheduler`,
    args: [
      flag('bind-address', '127.0.0.1'),
      flag('kubeconfig', kubeconfig),
      flag('authentication-kubeconfig', kubeconfig),
      flag('authorization-kubeconfig', kubeconfig),
      flag('leader-elect', true),
      flag('v', 2),
    ],
  };
}
