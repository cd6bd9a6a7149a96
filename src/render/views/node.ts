/**
 * Views for what every node (worker or control-plane host) runs: kubelet, kube-proxy, containerd.
 * Version-dependent choices come from flags-by-version.ts.
 */
import type { Inventory, InventoryHost } from '../../inventory/types.js';
import { InternalError } from '../../shared/errors.js';
import type { Version } from '../../shared/semver.js';
import { CERT, type CredentialPaths } from '../credentials.js';
import { appliesTo, CONTAINERD_RULES, K8S_RULES } from '../flags-by-version.js';
import type { RemoteLayout } from '../layout.js';
import { flag, type UnitView, type YamlSetting } from './unit-view.js';

/** Config and kubeconfig paths of the node components. */
export function nodePaths(layout: RemoteLayout) {
  return {
    kubeletConfig: `${layout.k8sCfg}/kubelet-config.yaml`,
    bootstrapKubeconfig: `${layout.k8sCfg}/bootstrap.kubeconfig`,
    // Written by the kubelet itself after TLS bootstrap; kubesmith never ships it.
    kubeletKubeconfig: `${layout.k8sCfg}/kubelet.kubeconfig`,
    kubeProxyConfig: `${layout.k8sCfg}/kube-proxy-config.yaml`,
    kubeProxyKubeconfig: `${layout.k8sCfg}/kube-proxy.kubeconfig`,
  } as const;
}

/** kubelet flags: identity and bootstrap on the command line, everything else in KubeletConfiguration. */
export function kubeletView(host: InventoryHost, layout: RemoteLayout): UnitView {
  const f = nodePaths(layout);
  return {
    exec: `${layout.k8sBin}/kubelet`,
    args: [
      flag('bootstrap-kubeconfig', f.bootstrapKubeconfig),
      flag('kubeconfig', f.kubeletKubeconfig),
      flag('config', f.kubeletConfig),
      flag('cert-dir', layout.kubeletCertDir),
      // The Node name must equal the inventory name: CSR approval and the Node authorizer match on it.
      flag('hostname-override', host.name),
      flag('node-ip', host.internalIP),
      // No --container-runtime-endpoint or --pod-infra-container-image: the first is a config field
      // in every supported version, the second was removed in v1.35 (flags-by-version.ts).
      flag('v', 2),
    ],
  };
}

/** View of manifests/kubelet-config.yaml.hbs. */
export interface KubeletConfigView {
  readonly clusterDNS: string;
  readonly clusterDomain: string;
  readonly clientCAFile: string;
  /** Extra top-level settings that depend on the version. */
  readonly versionSettings: readonly YamlSetting[];
}

/** KubeletConfiguration for a node. */
export function kubeletConfigView(inv: Inventory, layout: RemoteLayout, creds: CredentialPaths, k8s: Version): KubeletConfigView {
  const failCgroupV1 = inv.kubelet.failCgroupV1;
  return {
    clusterDNS: inv.cluster.clusterDNS,
    clusterDomain: inv.cluster.clusterDomain,
    clientCAFile: creds.cert(CERT.kubernetesCa),
    versionSettings: [
      { key: 'containerRuntimeEndpoint', value: `unix://${layout.containerdSocket}` },
      // Only when the operator set it (validate warns on false): never a silent opt-out of cgroup v2.
      ...(failCgroupV1 !== undefined && appliesTo(K8S_RULES.kubeletFailCgroupV1Field, k8s) ? [{ key: 'failCgroupV1', value: failCgroupV1 }] : []),
    ],
  };
}

/** kube-proxy: everything lives in its config file. */
export function kubeProxyView(layout: RemoteLayout): UnitView {
  return { exec: `${layout.k8sBin}/kube-proxy`, args: [flag('config', nodePaths(layout).kubeProxyConfig), flag('v', 2)] };
}

/** View of manifests/kube-proxy-config.yaml.hbs. */
export interface KubeProxyConfigView {
  readonly kubeconfig: string;
  readonly hostname: string;
  readonly clusterCIDR: string;
  readonly mode: string;
  /** Comment lines above the mode's section (deprecation notes). */
  readonly notes: readonly string[];
  /** The mode's own section: "ipvs", "iptables" or "nftables", and its settings. */
  readonly modeSection: string;
  readonly modeSettings: readonly YamlSetting[];
  /** The `conntrack:` settings the inventory sets, none: no section (maxPerCore 0: kube-proxy leaves nf_conntrack_max alone). */
  readonly conntrack: readonly YamlSetting[];
}

/** KubeProxyConfiguration for a node: nftables, ipvs (round robin, the classic guide) or iptables. */
export function kubeProxyConfigView(inv: Inventory, host: InventoryHost, layout: RemoteLayout, k8s: Version): KubeProxyConfigView {
  const mode = inv.cluster.proxyMode;
  const ipvs = mode === 'ipvs';
  const deprecated = ipvs && appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, k8s);
  const ct = inv.kubeProxy.conntrack;
  // Key order as in KubeProxyConntrackConfiguration; only what the inventory sets.
  const conntrack: YamlSetting[] = [
    ...(ct.maxPerCore !== undefined ? [{ key: 'maxPerCore', value: ct.maxPerCore }] : []),
    ...(ct.min !== undefined ? [{ key: 'min', value: ct.min }] : []),
    ...(ct.tcpEstablishedTimeout !== undefined ? [{ key: 'tcpEstablishedTimeout', value: ct.tcpEstablishedTimeout }] : []),
    ...(ct.tcpCloseWaitTimeout !== undefined ? [{ key: 'tcpCloseWaitTimeout', value: ct.tcpCloseWaitTimeout }] : []),
  ];
  return {
    kubeconfig: nodePaths(layout).kubeProxyKubeconfig,
    hostname: host.name,
    clusterCIDR: inv.cluster.podCIDR,
    mode: inv.cluster.proxyMode,
    notes: deprecated ? [`${K8S_RULES.kubeProxyIpvsDeprecated.why}: ${K8S_RULES.kubeProxyIpvsDeprecated.link}`] : [],
    modeSection: mode,
    modeSettings: ipvs ? [{ key: 'scheduler', value: 'rr' }, { key: 'strictARP', value: false }] : [{ key: 'masqueradeAll', value: false }],
    conntrack,
  };
}

/**
 * Where containerd looks for registry hosts (hosts.toml per registry), its documented location
 * (docs/hosts.md). Always configured, so mirrors added later need no config.toml change.
 */
export const REGISTRY_HOSTS_DIR = '/etc/containerd/certs.d';

/**
 * View of manifests/containerd-config.toml.hbs. The config version follows the containerd release
 * (CONTAINERD_RULES): 2 for 1.x, 3 for 2.0-2.2, 4 from 2.3; each release reads its own version
 * without migrating it at every start.
 */
export interface ContainerdConfigView {
  readonly configVersion: 2 | 3 | 4;
  /** Version 3+: CRI split into io.containerd.cri.v1.images / .runtime; version 2: io.containerd.grpc.v1.cri. */
  readonly criV1: boolean;
  /** Version 4: the gRPC and TTRPC listeners are server plugins instead of [grpc]. */
  readonly serverPlugins: boolean;
  readonly socket: string;
  readonly ttrpcSocket: string;
  readonly sandboxImage: string;
  readonly snapshotter: string;
  readonly noNewKeyring: boolean;
  readonly restrictOomScoreAdj: boolean;
  readonly runc: string;
  /** 2.1+: the CNI binary directory as `bin_dirs` (a list); `bin_dir` is deprecated there. */
  readonly cniBinDirs: boolean;
  readonly cniBin: string;
  readonly cniConf: string;
  readonly registryConfigPath: string;
  /** 2.0+: the transfer service's unpack target (CONTAINERD_RULES.transferUnpack), or undefined. */
  readonly unpackPlatform: string | undefined;
}

/** The platform images unpack for: the bundle holds linux-amd64 binaries and preflight requires x86_64 hosts. */
const UNPACK_PLATFORM = 'linux/amd64';

/** containerd's CRI settings for release `ctd`; the container-host knobs come from inventory.containerd. */
export function containerdConfigView(inv: Inventory, layout: RemoteLayout, ctd: Version): ContainerdConfigView {
  const configVersion = appliesTo(CONTAINERD_RULES.configV4, ctd) ? 4 : appliesTo(CONTAINERD_RULES.configV3, ctd) ? 3 : 2;
  return {
    configVersion,
    criV1: configVersion >= 3,
    serverPlugins: configVersion === 4,
    socket: layout.containerdSocket,
    // What versions 2 and 3 derive from the gRPC address; version 4 would otherwise use its own default.
    ttrpcSocket: `${layout.containerdSocket}.ttrpc`,
    sandboxImage: inv.containerd.sandboxImage,
    snapshotter: inv.containerd.snapshotter,
    noNewKeyring: inv.containerd.noNewKeyring,
    restrictOomScoreAdj: inv.containerd.restrictOomScoreAdj,
    runc: layout.runc,
    cniBinDirs: configVersion >= 3 && appliesTo(CONTAINERD_RULES.cniBinDirs, ctd),
    cniBin: layout.cniBin,
    cniConf: layout.cniConf,
    registryConfigPath: REGISTRY_HOSTS_DIR,
    unpackPlatform: appliesTo(CONTAINERD_RULES.transferUnpack, ctd) ? UNPACK_PLATFORM : undefined,
  };
}

/** View of manifests/containerd-hosts.toml.hbs: one registry's mirrors, tried in order. */
export interface ContainerdHostsView {
  readonly registry: string;
  readonly endpoints: readonly string[];
}

/** hosts.toml path and view of every inventory mirror (containerd.mirrors). */
export function containerdHostsFiles(inv: Inventory): readonly { readonly path: string; readonly view: ContainerdHostsView }[] {
  return inv.containerd.mirrors.map((m) => {
    // The registry names a directory. Validation allows only host[:port], [IPv6][:port] and
    // "_default"; this guard keeps a value that bypassed it from leaving certs.d.
    if (!/^[A-Za-z0-9_[][A-Za-z0-9_.:[\]-]*$/.test(m.registry) || m.registry.includes('..')) {
      throw new InternalError(`containerd.mirrors registry ${JSON.stringify(m.registry)} is not a registry host (validation should have caught this)`);
    }
    return { path: `${REGISTRY_HOSTS_DIR}/${m.registry}/hosts.toml`, view: { registry: m.registry, endpoints: m.endpoints } };
  });
}

/** containerd itself takes only its config path. */
export function containerdView(layout: RemoteLayout): UnitView & { readonly modprobe: string } {
  return { exec: `${layout.containerdBin}/containerd`, args: [`--config=${layout.containerdConfig}`], modprobe: '/sbin/modprobe' };
}
