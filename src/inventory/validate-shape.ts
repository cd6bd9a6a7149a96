/**
 * The inventory's shape: every key, its type and its format rule. Cross-field rules (networks,
 * hosts, HA) live in validate-network.ts, validate-hosts.ts and validate-cluster.ts.
 * Keep in step with types.ts and inventory.example.yaml.
 */
import { KEY_ALGORITHMS, ROLES } from './types.js';
import { absolutePath, dnsDomain, dnsLabel, hostAddress, imageReference, interfaceName, ipAddress, loginName, nodeName, sanEntry, snapshotterName } from './validate-formats.js';
import { batchSize, bool, int, oneOf, str } from './validate-scalars.js';
import { list, obj, required } from './validate-schema.js';
import type { Spec, SpecType } from './validate-schema.js';
import { KUBE_PROXY_SHAPE, KUBELET_SHAPE } from './validate-node-settings.js';
import { mirrorEndpoint, registryHost } from './validate-component-formats.js';

/** containerd: container-host knobs, the pinned version and registry mirrors (validate-components.ts). */
const CONTAINERD_SHAPE = obj({
  snapshotter: str(snapshotterName),
  noNewKeyring: bool(),
  restrictOomScoreAdj: bool(),
  sandboxImage: str(imageReference),
  version: str(undefined, 'a string like v2.3.0'),
  mirrors: list(obj({ registry: required(str(registryHost), 'add registry: <e.g. docker.io>'), endpoints: required(list(str(mirrorEndpoint)), 'add endpoints: [https://mirror.example:5000]') })),
});

const port = int(1, 65535, 'a port number from 1 to 65535');
const positive = (unit: string): Spec<number> => int(1, 1_000_000, `a positive whole number of ${unit}`);

const BASTION = obj({
  address: required(str(hostAddress), 'add address: <IP or DNS name of the jump host>'),
  port,
  user: str(loginName),
  identityFile: str(),
});

/** The ssh block, top level and per host: the same rules for both. */
const SSH = obj({
  user: str(loginName),
  port,
  identityFile: str(),
  agent: bool(),
  knownHostsFile: str(),
  hostKeyPolicy: oneOf(['strict', 'accept-new'] as const, { aliases: { tofu: 'accept-new', yes: 'strict', no: 'accept-new' } }),
  bastion: BASTION,
  sudo: bool(),
  connectTimeoutSeconds: int(1, 3600, 'a number of seconds from 1 to 3600'),
});

const API_SERVER = obj({
  ha: oneOf(['local-proxy', 'vip', 'none'] as const, { aliases: { keepalived: 'vip', proxy: 'local-proxy', nginx: 'local-proxy' } }),
  vip: str(ipAddress),
  port,
  vipPort: port,
  vipInterface: str(interfaceName),
  extraSANs: list(str(sanEntry)),
});

const CLUSTER = obj({
  name: required(str(dnsLabel('cluster name')), 'add name: <a DNS-1123 label, e.g. demo>'),
  kubernetesVersion: required(str(undefined, 'a string like v1.31.2'), 'add kubernetesVersion: v1.31.2 (v1.26 .. v1.35)'),
  etcdVersion: str(undefined, 'a string like v3.6.11'),
  serviceCIDR: str(undefined, 'a CIDR string like 10.0.0.0/24'),
  podCIDR: str(undefined, 'a CIDR string like 10.244.0.0/16'),
  clusterDNS: str(ipAddress),
  clusterDomain: str(dnsDomain),
  apiServer: API_SERVER,
  proxyMode: oneOf(['ipvs', 'iptables', 'nftables'] as const, { aliases: { nft: 'nftables' } }),
  cni: oneOf(['flannel', 'none'] as const, { aliases: { byo: 'none', off: 'none' } }),
  coredns: bool(),
});

const PKI = obj({
  keyAlgorithm: oneOf(KEY_ALGORITHMS, {
    aliases: { rsa: 'rsa-2048', ecdsa: 'ecdsa-p256', 'p-256': 'ecdsa-p256', p256: 'ecdsa-p256', 'p-384': 'ecdsa-p384', p384: 'ecdsa-p384' },
  }),
  caValidityDays: positive('days'),
  leafValidityDays: positive('days'),
  adminIdentity: oneOf(['cluster-admins', 'system-masters'] as const, { aliases: { 'system:masters': 'system-masters', 'kubeadm:cluster-admins': 'cluster-admins' } }),
  bootstrapTokenTTLHours: positive('hours'),
  csrMaxExpirationDays: positive('days'),
});

const HOST = obj({
  name: required(str(nodeName('host name')), 'add name: <a lowercase DNS name such as node01; it becomes the node name>'),
  address: required(str(hostAddress), 'add address: <IP or DNS name kubesmith connects to over SSH>'),
  internalIP: str(ipAddress),
  roles: required(
    list(oneOf(ROLES, { label: 'role', aliases: { master: 'control-plane', controlplane: 'control-plane', node: 'worker', lb: 'loadbalancer' } }), {
      emptyMessage: `host has no roles; give it at least one of ${ROLES.join(', ')}`,
    }),
    `add roles: [...] with at least one of ${ROLES.join(', ')}`,
  ),
  ssh: SSH,
});

/** The whole document. */
export const INVENTORY_SHAPE = obj({
  apiVersion: required(oneOf(['kubesmith/v1alpha1'] as const), 'add apiVersion: kubesmith/v1alpha1'),
  cluster: required(CLUSTER, 'add a cluster: section with name and kubernetesVersion'),
  pki: PKI,
  ssh: SSH,
  bundle: obj({ dir: str() }),
  paths: obj({ etcd: str(absolutePath), kubernetes: str(absolutePath) }),
  kubelet: KUBELET_SHAPE,
  kubeProxy: KUBE_PROXY_SHAPE,
  containerd: CONTAINERD_SHAPE,
  hosts: required(list(HOST, { emptyMessage: 'hosts is empty; list at least one control-plane host and the etcd members' }), 'add a hosts: list'),
  concurrency: obj({
    hosts: int(1, 1000, 'a whole number from 1 to 1000'),
    uploads: int(1, 100, 'a whole number from 1 to 100'),
    restarts: obj({ controlPlane: batchSize(), workers: batchSize() }),
  }),
});

/** The inventory as read: every key optional, invalid values left out. */
export type RawInventory = NonNullable<SpecType<typeof INVENTORY_SHAPE>>;
/** The cluster section as read. */
export type RawCluster = NonNullable<RawInventory['cluster']>;
/** One hosts entry as read. */
export type RawHost = NonNullable<NonNullable<RawInventory['hosts']>[number]>;
/** An ssh block (top level or per host) as read. */
export type RawSsh = NonNullable<RawInventory['ssh']>;

/** Keys from older sketches of the format, and where they went. */
const MOVED: Readonly<Record<string, string>> = {
  binaries: 'bundle.dir',
  apiServerExtraSANs: 'cluster.apiServer.extraSANs',
  apiServerEndpoint: 'cluster.apiServer (ha, vip, port)',
  uploadConcurrency: 'concurrency.uploads',
};

/** Where a key lives in the schema ("keyAlgorithm" -> "pki"), for misplaced keys. */
export function homeOf(key: string): string | undefined {
  if (MOVED[key] !== undefined) return MOVED[key];
  // Breadth-first, so "port" at the top level points at ssh, not cluster.apiServer.
  const queue: { spec: Spec<unknown>; path: string }[] = [{ spec: INVENTORY_SHAPE, path: '' }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const fields = next.spec.fields ?? {};
    if (Object.hasOwn(fields, key)) return next.path === '' ? 'the top level' : next.path;
    for (const [k, child] of Object.entries(fields)) {
      const at = next.path === '' ? k : `${next.path}.${k}`;
      queue.push({ spec: child, path: child.isList ? `each entry of ${at}` : at });
    }
  }
  return undefined;
}
