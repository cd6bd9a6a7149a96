/**
 * Builds validated Inventory values for tests without going through YAML (changesets' builder idea).
 * anInventory() is the example inventory's cluster; chain .with*() to vary it.
 */
import type { Inventory, InventoryHost, Role, SshSettings } from '../../src/inventory/types.js';

const SSH: SshSettings = {
  user: 'root',
  port: 22,
  agent: true,
  knownHostsFile: '~/.ssh/known_hosts',
  hostKeyPolicy: 'strict',
  sudo: false,
  connectTimeoutSeconds: 10,
};

export function aHost(name: string, ip: string, roles: readonly Role[], ssh: Partial<SshSettings> = {}): InventoryHost {
  return { name, address: ip, internalIP: ip, roles, ssh: { ...SSH, ...ssh } };
}

/** The example inventory (inventory.example.yaml) as a value. */
export function exampleInventory(overrides: Partial<Inventory> = {}): Inventory {
  return {
    apiVersion: 'kubesmith/v1alpha1',
    cluster: {
      name: 'demo',
      kubernetesVersion: 'v1.37.2',
      etcdVersion: 'v3.7.0',
      serviceCIDR: '10.0.0.0/24',
      podCIDR: '10.244.0.0/16',
      clusterDNS: '10.0.0.2',
      clusterDomain: 'cluster.local',
      apiServer: { ha: 'local-proxy', port: 6443, vipPort: 16443, vipInterface: 'eth0', extraSANs: [] },
      proxyMode: 'nftables',
      cni: 'flannel',
      coredns: true,
    },
    pki: {
      keyAlgorithm: 'rsa-2048',
      caValidityDays: 3650,
      leafValidityDays: 365,
      adminIdentity: 'cluster-admins',
      bootstrapTokenTTLHours: 24,
      csrMaxExpirationDays: 365,
    },
    ssh: SSH,
    bundle: { dir: '/tmp/kubesmith-test/bundle' },
    paths: { etcd: '/opt/etcd', kubernetes: '/opt/kubernetes' },
    containerd: { snapshotter: 'overlayfs', noNewKeyring: false, restrictOomScoreAdj: false, sandboxImage: 'registry.k8s.io/pause:3.9', mirrors: [] },
    kubelet: {},
    kubeProxy: { conntrack: {} },
    hosts: [
      aHost('master01', '192.168.80.10', ['control-plane', 'etcd']),
      aHost('master02', '192.168.80.20', ['control-plane']),
      aHost('node01', '192.168.80.11', ['worker', 'etcd']),
      aHost('node02', '192.168.80.12', ['worker', 'etcd']),
    ],
    concurrency: { hosts: 10, uploads: 4, restarts: { controlPlane: 1, workers: '20%' } },
    source: '/tmp/kubesmith-test/inventory.yaml',
    ...overrides,
  };
}
