/**
 * Views for what every node (worker or control-plane host) runs: kubelet, kube-proxy, containerd.
 * Version-dependent choices come from flags-by-version.ts.
 */
import type { Inventory, InventoryHost } from '../../inventory/types.js';
import type { Version } from '../../shared/semver.js';
import { CERT, type CredentialPaths } from '../credentials.js';
import { appliesTo, K8S_RULES } from '../flags-by-version.js';
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
export function kubeletView(inv: Inventory, host: InventoryHost, layout: RemoteLayout, k8s: Version): UnitView {
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
      ...(appliesTo(K8S_RULES.kubeletRuntimeEndpointFlag, k8s)
        ? [flag('container-runtime-endpoint', `unix://${layout.containerdSocket}`)]
        : []),
      ...(appliesTo(K8S_RULES.kubeletPodInfraImageFlag, k8s) ? [flag('pod-infra-container-image', inv.containerd.sandboxImage)] : []),
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
  return {
    clusterDNS: inv.cluster.clusterDNS,
    clusterDomain: inv.cluster.clusterDomain,
    clientCAFile: creds.cert(CERT.kubernetesCa),
    versionSettings: appliesTo(K8S_RULES.kubeletRuntimeEndpointFlag, k8s)
      ? []
      : [{ key: 'containerRuntimeEndpoint', value: `unix://${layout.containerdSocket}` }],
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
  /** The mode's own section: "ipvs" or "iptables", and its settings. */
  readonly modeSection: string;
  readonly modeSettings: readonly YamlSetting[];
}

/** KubeProxyConfiguration for a node; ipvs (round robin) as in the classic guide, or iptables. */
export function kubeProxyConfigView(inv: Inventory, host: InventoryHost, layout: RemoteLayout, k8s: Version): KubeProxyConfigView {
  const ipvs = inv.cluster.proxyMode === 'ipvs';
  const deprecated = ipvs && appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, k8s);
  return {
    kubeconfig: nodePaths(layout).kubeProxyKubeconfig,
    hostname: host.name,
    clusterCIDR: inv.cluster.podCIDR,
    mode: inv.cluster.proxyMode,
    notes: deprecated ? [`${K8S_RULES.kubeProxyIpvsDeprecated.why}: ${K8S_RULES.kubeProxyIpvsDeprecated.link}`] : [],
    modeSection: ipvs ? 'ipvs' : 'iptables',
    modeSettings: ipvs
      ? [{ key: 'scheduler', value: 'rr' }, { key: 'strictARP', value: false }]
      : [{ key: 'masqueradeAll', value: false }],
  };
}

/** View of manifests/containerd-config.toml.hbs (config version 2). */
export interface ContainerdConfigView {
  readonly socket: string;
  readonly sandboxImage: string;
  readonly snapshotter: string;
  readonly noNewKeyring: boolean;
  readonly restrictOomScoreAdj: boolean;
  readonly runc: string;
  readonly cniBin: string;
  readonly cniConf: string;
}

/** containerd's CRI settings; the container-host knobs come from inventory.containerd. */
export function containerdConfigView(inv: Inventory, layout: RemoteLayout): ContainerdConfigView {
  return {
    socket: layout.containerdSocket,
    sandboxImage: inv.containerd.sandboxImage,
    snapshotter: inv.containerd.snapshotter,
    noNewKeyring: inv.containerd.noNewKeyring,
    restrictOomScoreAdj: inv.containerd.restrictOomScoreAdj,
    runc: layout.runc,
    cniBin: layout.cniBin,
    cniConf: layout.cniConf,
  };
}

/** containerd itself takes only its config path. */
export function containerdView(layout: RemoteLayout): UnitView & { readonly modprobe: string } {
  return { exec: `${layout.containerdBin}/containerd`, args: [`--config=${layout.containerdConfig}`], modprobe: '/sbin/modprobe' };
}
