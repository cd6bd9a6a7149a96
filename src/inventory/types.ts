/**
 * The validated, defaulted inventory. Everything downstream (PKI, renderer, deployer) reads only
 * this shape; src/inventory/validate.ts is the one place that turns YAML into it.
 * Every field's default is documented with @default and in inventory.example.yaml.
 */

export type Role = 'etcd' | 'control-plane' | 'worker' | 'loadbalancer';
export const ROLES: readonly Role[] = ['etcd', 'control-plane', 'worker', 'loadbalancer'];

export type KeyAlgorithm = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ecdsa-p256' | 'ecdsa-p384';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ecdsa-p256', 'ecdsa-p384'];

/**
 * How nodes reach kube-apiserver.
 * - local-proxy: nginx (stream) on every node listens on 127.0.0.1:6443 and balances to all apiservers.
 * - vip: keepalived + nginx on the `loadbalancer` hosts hold a virtual IP.
 * - none: everything talks to the first control-plane host directly (single master).
 */
export type ApiHaMode = 'local-proxy' | 'vip' | 'none';

export type HostKeyPolicy = 'strict' | 'accept-new';
export type ProxyMode = 'ipvs' | 'iptables' | 'nftables';
export type AdminIdentity = 'cluster-admins' | 'system-masters';
/**
 * The pod network add-on. A per-node bridge conflist is not offered: a node's podCIDR is allocated
 * by kube-controller-manager when the node registers, so it is unknown when kubesmith renders.
 */
export type CniChoice = 'flannel' | 'none';

/** One registry's mirrors, rendered as /etc/containerd/certs.d/<registry>/hosts.toml. */
export interface RegistryMirror {
  /** "docker.io", "registry.k8s.io", "myregistry:5000". */
  readonly registry: string;
  /** Mirror URLs in the order containerd tries them, e.g. "https://mirror.example:5000". */
  readonly endpoints: readonly string[];
}

export interface BastionSettings {
  readonly address: string;
  /** @default 22 */
  readonly port: number;
  /** @default the host's ssh.user */
  readonly user: string;
  readonly identityFile?: string;
}

export interface SshSettings {
  /** @default "root" */
  readonly user: string;
  /** @default 22 */
  readonly port: number;
  /** Private key file; `~` is expanded. @default none (agent only) */
  readonly identityFile?: string;
  /** Use the agent at $SSH_AUTH_SOCK when set. @default true */
  readonly agent: boolean;
  /** @default "~/.ssh/known_hosts" */
  readonly knownHostsFile: string;
  /** strict: unknown or changed keys are refused. accept-new: trust on first use, append to knownHostsFile. @default "strict" */
  readonly hostKeyPolicy: HostKeyPolicy;
  readonly bastion?: BastionSettings;
  /** Run privileged commands through `sudo -n`. @default true when user is not root */
  readonly sudo: boolean;
  /** @default 10 */
  readonly connectTimeoutSeconds: number;
}

export interface ApiServerSettings {
  /** @default "local-proxy" when there are 2+ control-plane hosts, else "none" */
  readonly ha: ApiHaMode;
  /** Required when ha is "vip". */
  readonly vip?: string;
  /** Port kube-apiserver listens on. @default 6443 */
  readonly port: number;
  /** Port the VIP load balancer listens on (nginx on the loadbalancer hosts). @default 16443 */
  readonly vipPort: number;
  /** Network interface keepalived holds the VIP on, on every loadbalancer host (preflight checks it carries the host's internalIP). @default "eth0" */
  readonly vipInterface: string;
  /** Extra names/IPs for the apiserver serving certificate. @default [] */
  readonly extraSANs: readonly string[];
}

export interface ClusterSettings {
  /** DNS-1123 label; names the state directory. */
  readonly name: string;
  /** "v1.37.2"; v1.28 to v1.38 supported (SUPPORTED_KUBERNETES). */
  readonly kubernetesVersion: string;
  /**
   * "v3.6.11"; etcd 3.6 and 3.7 supported, 3.5 only as the version a cluster runs before its
   * upgrade (validate warns). @default "v3.6.11" up to Kubernetes v1.36, "v3.7.0" from v1.37
   */
  readonly etcdVersion: string;
  /** @default "10.0.0.0/24" (the classic guide's service range) */
  readonly serviceCIDR: string;
  /** @default "10.244.0.0/16" (flannel's default) */
  readonly podCIDR: string;
  /** @default the 2nd address of serviceCIDR, e.g. "10.0.0.2" */
  readonly clusterDNS: string;
  /** @default "cluster.local" */
  readonly clusterDomain: string;
  readonly apiServer: ApiServerSettings;
  /** Pod network add-on kubesmith installs; "none": bring your own (nodes stay NotReady until one runs). @default "flannel" */
  readonly cni: CniChoice;
  /** Install CoreDNS on clusterDNS. @default true */
  readonly coredns: boolean;
  /** kube-proxy mode; nftables needs v1.33+. @default "nftables" from v1.35 (ipvs is deprecated there), "ipvs" before */
  readonly proxyMode: ProxyMode;
}

export interface PkiSettings {
  /** Every CA, leaf and the service-account key. @default "rsa-2048" */
  readonly keyAlgorithm: KeyAlgorithm;
  /** @default 3650 */
  readonly caValidityDays: number;
  /** @default 365 */
  readonly leafValidityDays: number;
  /** @default "cluster-admins" (kubeadm >= 1.29 style; break-glass system:masters kept locally) */
  readonly adminIdentity: AdminIdentity;
  /** Lifetime of the kubelet bootstrap token. @default 24 */
  readonly bootstrapTokenTTLHours: number;
  /** Longest kubelet certificate lifetime `approve` accepts in a CSR. @default 365 */
  readonly csrMaxExpirationDays: number;
}

/** Settings for nodes that are themselves containers (LXD, nspawn). Defaults are normal-host values. */
export interface ContainerdSettings {
  /** @default "overlayfs"; "native" inside containers whose root is an overlay */
  readonly snapshotter: string;
  /** runc NoNewKeyring; true where keyctl is blocked by seccomp. @default false */
  readonly noNewKeyring: boolean;
  /** CRI restrict_oom_score_adj; true without CAP_SYS_RESOURCE. @default false */
  readonly restrictOomScoreAdj: boolean;
  /** @default "registry.k8s.io/pause:3.9" */
  readonly sandboxImage: string;
  /**
   * "v2.3.0": pins the bundle's containerd tarball and the config format (2.3+: version 4,
   * 2.0-2.2: version 3, 1.7: version 2, Kubernetes <= v1.35 only). @default unset: the version in
   * the bundle's containerd-X.Y.Z-linux-amd64.tar.gz name (v2.3.0 when there is no bundle)
   */
  readonly version?: string;
  /** Registry mirrors (hosts.toml per registry). @default [] */
  readonly mirrors: readonly RegistryMirror[];
}

/** KubeletConfiguration settings beyond kubesmith's fixed ones. */
export interface KubeletSettings {
  /**
   * false lets the kubelet run on a cgroup v1 host (deprecated; refused by default from v1.35).
   * Rendered only when set; validate and plan warn. @default unset (the kubelet's default)
   */
  readonly failCgroupV1?: boolean;
}

/** kube-proxy's conntrack sysctls; unset fields keep kube-proxy's defaults. */
export interface ConntrackSettings {
  /** nf_conntrack_max per CPU; 0 leaves the kernel's value (nodes without a loadable nf_conntrack: LXD, nspawn). @default unset (32768) */
  readonly maxPerCore?: number;
  /** Floor for nf_conntrack_max. @default unset (131072) */
  readonly min?: number;
  /** "24h"; "0s" leaves the kernel's value. @default unset (24h) */
  readonly tcpEstablishedTimeout?: string;
  /** "1h"; "0s" leaves the kernel's value. @default unset (1h) */
  readonly tcpCloseWaitTimeout?: string;
}

export interface PathSettings {
  /** @default "/opt/etcd" (bin/ cfg/ ssl/) */
  readonly etcd: string;
  /** @default "/opt/kubernetes" (bin/ cfg/ ssl/ logs/) */
  readonly kubernetes: string;
}

export interface InventoryHost {
  /** DNS-1123 label; also the Kubernetes node name and the etcd member name. */
  readonly name: string;
  /** Where kubesmith connects over SSH (IP or DNS name). */
  readonly address: string;
  /** The IP components advertise and certificates carry. @default address (must then be an IP) */
  readonly internalIP: string;
  readonly roles: readonly Role[];
  /** ssh defaults merged with this host's overrides. */
  readonly ssh: SshSettings;
}

/** Hosts at once: a count, or a percentage of the group ("20%": rounded down, at least 1). */
export type BatchSize = number | `${number}%`;

export interface Inventory {
  readonly apiVersion: 'kubesmith/v1alpha1';
  readonly cluster: ClusterSettings;
  readonly pki: PkiSettings;
  readonly ssh: SshSettings;
  /** Directory with the offline release artifacts; relative to the inventory file. @default "./bundle" */
  readonly bundle: { readonly dir: string };
  readonly paths: PathSettings;
  readonly containerd: ContainerdSettings;
  /** @default {} */
  readonly kubelet: KubeletSettings;
  /** @default { conntrack: {} } */
  readonly kubeProxy: { readonly conntrack: ConntrackSettings };
  readonly hosts: readonly InventoryHost[];
  readonly concurrency: {
    /** Hosts worked on at once within a phase. @default 10 */
    readonly hosts: number;
    /** Binary uploads in flight at once across all hosts. @default 4 */
    readonly uploads: number;
    /**
     * Rolling restarts of running services whose inputs changed (a renewed certificate, a new
     * flag): how many hosts restart at once, each batch gated by health before the next. etcd
     * always restarts one member at a time (quorum). @default { controlPlane: 1, workers: "20%" }
     */
    readonly restarts: { readonly controlPlane: BatchSize; readonly workers: BatchSize };
  };
  /** Absolute path of the inventory file (for messages and relative paths). */
  readonly source: string;
}

// Filtered lists per host list (readonly, so a memo of a pure function): renderers ask for the
// control-plane hosts once per host (API upstreams, the first control plane), which filtered every
// host each time: quadratic in hosts (25 million role checks for a 5,000-host plan).
const byRole = new WeakMap<readonly InventoryHost[], Map<string, readonly InventoryHost[]>>();
function memoFilter(inv: Inventory, key: string, keep: (h: InventoryHost) => boolean): readonly InventoryHost[] {
  let lists = byRole.get(inv.hosts);
  if (lists === undefined) byRole.set(inv.hosts, (lists = new Map()));
  let list = lists.get(key);
  if (list === undefined) lists.set(key, (list = Object.freeze(inv.hosts.filter(keep))));
  return list;
}

/** Hosts with a role, in inventory order. */
export function hostsWithRole(inv: Inventory, role: Role): readonly InventoryHost[] {
  return memoFilter(inv, role, (h) => h.roles.includes(role));
}

/** Hosts that run a kubelet (workers and control-plane hosts are both nodes). */
export function nodeHosts(inv: Inventory): readonly InventoryHost[] {
  return memoFilter(inv, 'node', (h) => h.roles.includes('worker') || h.roles.includes('control-plane'));
}
