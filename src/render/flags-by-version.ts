/**
 * Every version-dependent rendering decision, in one table. Each entry says which versions it
 * applies to (inclusive minor range), why, and where that fact is documented. View builders ask
 * `appliesTo(rule, version)` instead of comparing versions themselves, so a reviewer can audit
 * all of kubesmith's version knowledge here. Supported: Kubernetes v1.26-v1.35, etcd 3.4-3.5.
 *
 * Entries whose range ends before v1.26 are flags kubesmith NEVER renders; they stay in the table
 * so nobody "helpfully" adds them back from an old guide.
 */
import type { Version } from '../shared/semver.js';
import { atLeast } from '../shared/semver.js';

/** A version-dependent rule: applies from `from` through `through` (minor versions, inclusive). */
export interface VersionRule {
  readonly component: string;
  readonly what: string;
  readonly from?: { readonly major: number; readonly minor: number };
  readonly through?: { readonly major: number; readonly minor: number };
  readonly why: string;
  readonly link: string;
}

/** Kubernetes rules. */
export const K8S_RULES = {
  klogFlagsRemoved: {
    component: 'all',
    what: '--logtostderr, --alsologtostderr, --log-dir, --log-file, --log-file-max-size, --skip-log-headers ...',
    through: { major: 1, minor: 25 },
    why: 'removed in v1.26 (KEP-2845); components log to stderr and journald keeps it, so never rendered',
    link: 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-instrumentation/2845-deprecate-klog-specific-flags-in-k8s-components',
  },
  dockershimFlagsRemoved: {
    component: 'kubelet',
    what: '--network-plugin, --cni-bin-dir, --cni-conf-dir, --docker-endpoint, --image-pull-progress-deadline',
    through: { major: 1, minor: 23 },
    why: 'dockershim was removed in v1.24; CNI is configured in containerd, so never rendered',
    link: 'https://kubernetes.io/blog/2022/02/17/dockershim-faq/',
  },
  kubeletContainerRuntimeFlag: {
    component: 'kubelet',
    what: '--container-runtime=remote',
    through: { major: 1, minor: 26 },
    why: 'only "remote" was valid since v1.24 and it is the default; the flag was removed in v1.27, so never rendered',
    link: 'https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.27.md',
  },
  kubeletRuntimeEndpointFlag: {
    component: 'kubelet',
    what: '--container-runtime-endpoint flag (v1.26) instead of KubeletConfiguration.containerRuntimeEndpoint (v1.27+)',
    through: { major: 1, minor: 26 },
    why: 'the config field was added in v1.27 and the flag deprecated in its favour; v1.26 only knows the flag',
    link: 'https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/#kubelet-config-k8s-io-v1beta1-KubeletConfiguration',
  },
  kubeletPodInfraImageFlag: {
    component: 'kubelet',
    what: '--pod-infra-container-image',
    through: { major: 1, minor: 26 },
    why: 'from v1.27 the sandbox image comes from the CRI (containerd sandbox_image) and the flag only warns; removed later',
    link: 'https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.27.md',
  },
  experimentalClusterSigningDuration: {
    component: 'kube-controller-manager',
    what: '--experimental-cluster-signing-duration (use --cluster-signing-duration)',
    through: { major: 1, minor: 24 },
    why: 'removed in v1.25; kubesmith always renders --cluster-signing-duration',
    link: 'https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.25.md',
  },
  insecureServingRemoved: {
    component: 'kube-apiserver, kube-controller-manager, kube-scheduler',
    what: '--insecure-port, --insecure-bind-address, --port, --address, --kubelet-https',
    through: { major: 1, minor: 23 },
    why: 'insecure serving was removed by v1.24; only secure ports exist, so never rendered',
    link: 'https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.24.md',
  },
  kubeProxyIpvsDeprecated: {
    component: 'kube-proxy',
    what: 'mode: ipvs prints a deprecation warning',
    from: { major: 1, minor: 35 },
    why: 'IPVS mode is deprecated from v1.35 (nftables is the successor); still rendered when chosen, with a plan notice',
    link: 'https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.35.md',
  },
} as const satisfies Record<string, VersionRule>;

/** etcd rules (config-file keys and release contents). etcd 3.6/3.7 are supported; 3.5 only as an upgrade source. */
export const ETCD_RULES = {
  explicitZapLogger: {
    component: 'etcd',
    what: 'logger: zap and log-outputs: [stderr]',
    through: { major: 3, minor: 4 },
    why: 'etcd 3.4 defaults to the deprecated capnslog logger; 3.5 defaults to zap and removed capnslog (3.4 is no longer accepted by validate; the rule stays for old renders)',
    link: 'https://etcd.io/docs/v3.5/upgrades/upgrade_3_5/',
    flags: ['logger: zap', 'log-outputs:'],
  },
  initialCorruptCheck: {
    component: 'etcd',
    what: 'experimental-initial-corrupt-check: true',
    from: { major: 3, minor: 5 },
    through: { major: 3, minor: 5 },
    why: 'recommended after the 3.5 data-inconsistency incident (a member checks its data against peers before serving); deprecated in 3.6 for the InitialCorruptCheck feature gate and removed with every experimental flag in 3.7 (#19959)',
    link: 'https://github.com/etcd-io/etcd/issues/13766',
    flags: ['experimental-initial-corrupt-check:'],
  },
  featureGates: {
    component: 'etcd',
    what: 'feature-gates: InitialCorruptCheck=true',
    from: { major: 3, minor: 6 },
    why: 'etcd 3.6 turned the experimental-* settings into feature gates (ServerFeatureGate, `feature-gates` in the config file); the experimental keys are gone in 3.7 (CHANGELOG-3.7: "Removed all deprecated experimental flags", #19959)',
    link: 'https://etcd.io/docs/v3.7/feature-gates/',
    flags: ['feature-gates:'],
  },
  enableV2Off: {
    component: 'etcd',
    what: 'enable-v2 (never rendered)',
    through: { major: 3, minor: 5 },
    why: 'the v2 API was off by default since 3.4 and is removed in 3.6 (`--enable-v2` gone; 3.7 removed the v2 store entirely); Kubernetes uses only v3',
    link: 'https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/',
    flags: ['enable-v2:'],
  },
  etcdutlInRelease: {
    component: 'etcd',
    what: 'etcdutl shipped next to etcd and etcdctl (snapshot status and restore)',
    from: { major: 3, minor: 6 },
    why: '`etcdctl snapshot status/restore` were deprecated in 3.5 and removed in 3.6: offline snapshot work is etcdutl\'s, which the release tarball carries',
    link: 'https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/',
  },
  livezReadyz: {
    component: 'etcd',
    what: 'health from /livez and /readyz on the metrics listener',
    from: { major: 3, minor: 6 },
    why: 'etcd 3.6 added /livez (restart needed?) and /readyz (ready to serve?), the Kubernetes-style probes; /health stays for older members',
    link: 'https://etcd.io/blog/2025/announcing-etcd-3.6/',
  },
  upgradeFrom35: {
    component: 'etcd',
    what: 'a 3.5 -> 3.6 upgrade needs every 3.5 member at v3.5.26 or later first',
    from: { major: 3, minor: 6 },
    through: { major: 3, minor: 6 },
    why: '"Before upgrading to 3.6, make sure that all of your 3.5 members are updated to 3.5.26 or later. Patch releases 3.5.24 through 3.5.26 fix several potential upgrade blockers."',
    link: 'https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/',
  },
  upgradeFrom36: {
    component: 'etcd',
    what: 'a 3.6 -> 3.7 upgrade needs every 3.6 member at v3.6.11 or later first',
    from: { major: 3, minor: 7 },
    why: '"Before upgrading to 3.7, make sure that all of your 3.6 members are updated to 3.6.11 or later"; etcd upgrades one minor at a time',
    link: 'https://etcd.io/docs/v3.7/upgrades/upgrade_3_7/',
  },
} as const satisfies Record<string, VersionRule>;

/** The lowest patch of the previous minor a member must run before this minor (upgradeFrom35/36). */
export const ETCD_UPGRADE_FLOOR: Readonly<Record<string, { readonly from: string; readonly rule: VersionRule }>> = {
  '3.6': { from: 'v3.5.26', rule: ETCD_RULES.upgradeFrom35 },
  '3.7': { from: 'v3.6.11', rule: ETCD_RULES.upgradeFrom36 },
};

/** containerd rules, chosen by the bundle's (or inventory's) containerd version. */
export const CONTAINERD_RULES = {
  configV2: {
    component: 'containerd',
    what: 'config version = 2, CRI under [plugins."io.containerd.grpc.v1.cri"], sandbox_image',
    through: { major: 1, minor: 7 },
    why: 'containerd 1.x reads config version 2; kept for Kubernetes v1.35 only (the last minor whose kubelet still accepts a CRI without RuntimeConfig, see kubeletNeedsCriRuntimeConfig)',
    link: 'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
    flags: ['version = 2', 'sandbox_image ='],
  },
  configV3: {
    component: 'containerd',
    what: 'config version = 3: [plugins.\'io.containerd.cri.v1.images\'] (snapshotter, pinned_images.sandbox, registry.config_path) and [plugins.\'io.containerd.cri.v1.runtime\'] (runtimes, cni, restrict_oom_score_adj)',
    from: { major: 2, minor: 0 },
    through: { major: 2, minor: 2 },
    why: 'containerd 2.0 introduced config version 3 and split the CRI plugin into images and runtime plugins; the sandbox image is a pinned image',
    link: 'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
    flags: ['version = 3', 'pinned_images'],
  },
  configV4: {
    component: 'containerd',
    what: 'config version = 4 (same CRI plugin paths as 3)',
    from: { major: 2, minor: 3 },
    why: 'containerd 2.3 introduced config version 4: CRI plugin paths are those of version 3, only server-level sections moved into plugins; `containerd config dump` of 2.3 reports 4 and a drop-in may not be newer than the root file',
    link: 'https://github.com/gardener/gardener/pull/14856',
    flags: ['version = 4'],
  },
  registryHostsToml: {
    component: 'containerd',
    what: 'registry mirrors in /etc/containerd/certs.d/<registry>/hosts.toml (config_path)',
    from: { major: 1, minor: 5 },
    why: 'registry.mirrors in config.toml is deprecated since 1.5 and removed from the 2.x CRI images plugin; hosts.toml per registry is the supported form',
    link: 'https://github.com/containerd/containerd/blob/main/docs/hosts.md',
  },
} as const satisfies Record<string, VersionRule>;

/** True when `rule` applies to version `v`. */
export function appliesTo(rule: VersionRule, v: Version): boolean {
  if (rule.from && !atLeast(v, rule.from.major, rule.from.minor)) return false;
  if (rule.through && atLeast(v, rule.through.major, rule.through.minor + 1)) return false;
  return true;
}
