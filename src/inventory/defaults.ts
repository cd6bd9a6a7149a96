/**
 * Defaults for everything the inventory may leave out, exactly as documented with @default in
 * types.ts and in inventory.example.yaml. Runs only on an inventory that validated without errors.
 */
import { InternalError } from '../shared/errors.js';
import { nthIp } from '../shared/net.js';
import { appliesTo, K8S_RULES } from '../render/flags-by-version.js';
import { parseVersion } from '../shared/semver.js';
import type { ApiHaMode, Inventory, InventoryHost, ProxyMode, SshSettings } from './types.js';
import type { RawHost, RawInventory, RawSsh } from './validate-shape.js';
import { defaultEtcdVersion } from './component-versions.js';

/** The classic guide's Service range. */
export const DEFAULT_SERVICE_CIDR = '10.0.0.0/24';
/** flannel's default Pod range. */
export const DEFAULT_POD_CIDR = '10.244.0.0/16';
/** Offline bundle directory, relative to the inventory file. */
export const DEFAULT_BUNDLE_DIR = './bundle';

/** local-proxy when there are 2+ control-plane hosts (HA needs a balancer), none with one. */
export function defaultHa(controlPlaneHosts: number): ApiHaMode {
  return controlPlaneHosts >= 2 ? 'local-proxy' : 'none';
}

/** nftables from v1.35 (ipvs is deprecated there), the classic guide's ipvs before. */
export function defaultProxyMode(kubernetesVersion: string): ProxyMode {
  const v = parseVersion(kubernetesVersion);
  return v !== undefined && appliesTo(K8S_RULES.kubeProxyNftablesDefault, v) ? 'nftables' : 'ipvs';
}

function present<T>(v: T | undefined, path: string): T {
  if (v === undefined) throw new InternalError(`inventory defaults: ${path} is missing after validation passed`);
  return v;
}

/**
 * Top-level ssh settings merged with a host's overrides (host wins, key by key; bastion keys too),
 * then defaulted. sudo follows the merged user; bastion.user defaults to the merged user.
 */
export function sshWithDefaults(top: RawSsh | undefined, override: RawSsh | undefined = undefined): SshSettings {
  const m = { ...top, ...override };
  const bastion = top?.bastion || override?.bastion ? { ...top?.bastion, ...override?.bastion } : undefined;
  const user = m.user ?? 'root';
  return {
    user,
    port: m.port ?? 22,
    ...(m.identityFile !== undefined ? { identityFile: m.identityFile } : {}),
    agent: m.agent ?? true,
    knownHostsFile: m.knownHostsFile ?? '~/.ssh/known_hosts',
    hostKeyPolicy: m.hostKeyPolicy ?? 'strict',
    ...(bastion !== undefined
      ? {
          bastion: {
            address: present(bastion.address, 'ssh.bastion.address'),
            port: bastion.port ?? 22,
            user: bastion.user ?? user,
            ...(bastion.identityFile !== undefined ? { identityFile: bastion.identityFile } : {}),
          },
        }
      : {}),
    sudo: m.sudo ?? user !== 'root',
    connectTimeoutSeconds: m.connectTimeoutSeconds ?? 10,
  };
}

function hostWithDefaults(h: RawHost, i: number, top: RawSsh | undefined): InventoryHost {
  const address = present(h.address, `hosts[${i}].address`);
  return {
    name: present(h.name, `hosts[${i}].name`),
    address,
    // validate-hosts.ts guarantees address is an IP when internalIP is absent.
    internalIP: h.internalIP ?? address,
    roles: present(h.roles, `hosts[${i}].roles`).map((r) => present(r, `hosts[${i}].roles`)),
    ssh: sshWithDefaults(top, h.ssh),
  };
}

/** The validated raw inventory with every default filled in; `source` is the absolute file path. */
export function applyDefaults(raw: RawInventory, source: string): Inventory {
  const cl = present(raw.cluster, 'cluster');
  const hosts = present(raw.hosts, 'hosts').map((h, i) => hostWithDefaults(present(h, `hosts[${i}]`), i, raw.ssh));
  const serviceCIDR = cl.serviceCIDR ?? DEFAULT_SERVICE_CIDR;
  const api = cl.apiServer ?? {};
  const pki = raw.pki ?? {};
  const ctr = raw.containerd ?? {};
  return {
    apiVersion: present(raw.apiVersion, 'apiVersion'),
    cluster: {
      name: present(cl.name, 'cluster.name'),
      kubernetesVersion: present(cl.kubernetesVersion, 'cluster.kubernetesVersion'),
      // Follows the Kubernetes version (component-versions.ts): 3.6 up to v1.36, 3.7 from v1.37.
      etcdVersion: cl.etcdVersion ?? defaultEtcdVersion(present(cl.kubernetesVersion, 'cluster.kubernetesVersion')),
      serviceCIDR,
      podCIDR: cl.podCIDR ?? DEFAULT_POD_CIDR,
      // The 2nd Service IP: the 1st belongs to the `kubernetes` Service (10.0.0.1 -> CoreDNS on 10.0.0.2).
      clusterDNS: cl.clusterDNS ?? present(nthIp(serviceCIDR, 2), 'cluster.clusterDNS'),
      clusterDomain: cl.clusterDomain ?? 'cluster.local',
      apiServer: {
        ha: api.ha ?? defaultHa(hosts.filter((h) => h.roles.includes('control-plane')).length),
        ...(api.vip !== undefined ? { vip: api.vip } : {}),
        port: api.port ?? 6443,
        vipPort: api.vipPort ?? 16443,
        vipInterface: api.vipInterface ?? 'eth0',
        extraSANs: (api.extraSANs ?? []).map((s) => present(s, 'cluster.apiServer.extraSANs')),
      },
      proxyMode: cl.proxyMode ?? defaultProxyMode(present(cl.kubernetesVersion, 'cluster.kubernetesVersion')),
      cni: cl.cni ?? 'flannel',
      coredns: cl.coredns ?? true,
    },
    pki: {
      keyAlgorithm: pki.keyAlgorithm ?? 'rsa-2048',
      caValidityDays: pki.caValidityDays ?? 3650,
      leafValidityDays: pki.leafValidityDays ?? 365,
      adminIdentity: pki.adminIdentity ?? 'cluster-admins',
      bootstrapTokenTTLHours: pki.bootstrapTokenTTLHours ?? 24,
      csrMaxExpirationDays: pki.csrMaxExpirationDays ?? 365,
    },
    ssh: sshWithDefaults(raw.ssh),
    bundle: { dir: raw.bundle?.dir ?? DEFAULT_BUNDLE_DIR },
    paths: { etcd: raw.paths?.etcd ?? '/opt/etcd', kubernetes: raw.paths?.kubernetes ?? '/opt/kubernetes' },
    containerd: {
      snapshotter: ctr.snapshotter ?? 'overlayfs',
      noNewKeyring: ctr.noNewKeyring ?? false,
      restrictOomScoreAdj: ctr.restrictOomScoreAdj ?? false,
      sandboxImage: ctr.sandboxImage ?? 'registry.k8s.io/pause:3.9',
      ...(ctr.version !== undefined ? { version: ctr.version } : {}),
      mirrors: (ctr.mirrors ?? []).map((m, i) => ({
        registry: present(m?.registry, `containerd.mirrors[${i}].registry`),
        endpoints: present(m?.endpoints, `containerd.mirrors[${i}].endpoints`).map((e) => present(e, `containerd.mirrors[${i}].endpoints`)),
      })),
    },
    kubelet: raw.kubelet?.failCgroupV1 !== undefined ? { failCgroupV1: raw.kubelet.failCgroupV1 } : {},
    kubeProxy: { conntrack: conntrackWithDefaults(raw.kubeProxy?.conntrack) },
    hosts,
    concurrency: {
      hosts: raw.concurrency?.hosts ?? 10,
      uploads: raw.concurrency?.uploads ?? 4,
      restarts: { controlPlane: raw.concurrency?.restarts?.controlPlane ?? 1, workers: raw.concurrency?.restarts?.workers ?? '20%' },
    },
    source,
  };
}

/** Only the conntrack fields the inventory sets: the rest stay kube-proxy's own defaults. */
function conntrackWithDefaults(c: NonNullable<RawInventory['kubeProxy']>['conntrack']): Inventory['kubeProxy']['conntrack'] {
  const out: { maxPerCore?: number; min?: number; tcpEstablishedTimeout?: string; tcpCloseWaitTimeout?: string } = {};
  if (c?.maxPerCore !== undefined) out.maxPerCore = c.maxPerCore;
  if (c?.min !== undefined) out.min = c.min;
  if (c?.tcpEstablishedTimeout !== undefined) out.tcpEstablishedTimeout = c.tcpEstablishedTimeout;
  if (c?.tcpCloseWaitTimeout !== undefined) out.tcpCloseWaitTimeout = c.tcpCloseWaitTimeout;
  return out;
}
