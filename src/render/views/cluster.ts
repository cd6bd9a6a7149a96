/** Views of the cluster-scoped manifests (applied through the API, not copied to hosts). */
import type { Inventory } from '../../inventory/types.js';
import { BOOTSTRAP_GROUP } from '../../pki/bootstrap-token.js';
import { hostsWithRole, nodeHosts } from '../../inventory/types.js';
import type { RemoteLayout } from '../layout.js';

/** CN of the apiserver-kubelet-client certificate (pki/profiles.yaml). */
export const APISERVER_KUBELET_USER = 'kube-apiserver-kubelet-client';

/** The admin group of pki.adminIdentity cluster-admins (kubeadm >= 1.29). */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';

/**
 * Add-on images. They must match the image tarballs in the bundle (imported with
 * `ctr -n k8s.io images import`); manifests use imagePullPolicy IfNotPresent, so nothing is pulled.
 */
export const ADDON_IMAGES = {
  flannel: 'docker.io/flannel/flannel:v0.26.1',
  flannelCniPlugin: 'docker.io/flannel/flannel-cni-plugin:v1.6.0-flannel1',
  coredns: 'registry.k8s.io/coredns/coredns:v1.11.3',
} as const;

/** manifests/bootstrap-rbac.yaml.hbs */
export function bootstrapRbacView() {
  return { bootstrapGroup: BOOTSTRAP_GROUP, apiserverKubeletUser: APISERVER_KUBELET_USER };
}

/** manifests/cluster-admins-rbac.yaml.hbs */
export function clusterAdminsRbacView() {
  return { adminGroup: CLUSTER_ADMINS_GROUP };
}

/** manifests/flannel.yaml.hbs */
export function flannelView(inv: Inventory, layout: RemoteLayout) {
  return {
    podCIDR: inv.cluster.podCIDR,
    flannelImage: ADDON_IMAGES.flannel,
    cniPluginImage: ADDON_IMAGES.flannelCniPlugin,
    cniBin: layout.cniBin,
    cniConf: layout.cniConf,
  };
}

/** manifests/coredns.yaml.hbs; one replica on a one-node cluster, two otherwise. */
export function corednsView(inv: Inventory) {
  return {
    clusterDNS: inv.cluster.clusterDNS,
    clusterDomain: inv.cluster.clusterDomain,
    image: ADDON_IMAGES.coredns,
    replicas: Math.min(2, Math.max(1, nodeHosts(inv).length)),
  };
}

/** True when the cluster has load-balancer hosts for the VIP option. */
export function hasLoadBalancers(inv: Inventory): boolean {
  return inv.cluster.apiServer.ha === 'vip' && hostsWithRole(inv, 'loadbalancer').length > 0;
}
