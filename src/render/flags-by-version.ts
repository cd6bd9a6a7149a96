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

/** etcd rules (config-file keys). */
export const ETCD_RULES = {
  explicitZapLogger: {
    component: 'etcd',
    what: 'logger: zap and log-outputs: [stderr]',
    through: { major: 3, minor: 4 },
    why: 'etcd 3.4 defaults to the deprecated capnslog logger; 3.5 defaults to zap and removed capnslog',
    link: 'https://etcd.io/docs/v3.5/upgrades/upgrade_3_5/',
  },
  initialCorruptCheck: {
    component: 'etcd',
    what: 'experimental-initial-corrupt-check: true',
    from: { major: 3, minor: 5 },
    why: 'recommended after the 3.5 data-inconsistency incident: a member checks its data against peers before serving',
    link: 'https://github.com/etcd-io/etcd/issues/13766',
  },
  enableV2Off: {
    component: 'etcd',
    what: 'enable-v2 (never rendered)',
    from: { major: 3, minor: 4 },
    why: 'v2 API is off by default since 3.4 and deprecated in 3.5; Kubernetes uses only v3',
    link: 'https://etcd.io/docs/v3.4/upgrades/upgrade_3_4/',
  },
} as const satisfies Record<string, VersionRule>;

/** True when `rule` applies to version `v`. */
export function appliesTo(rule: VersionRule, v: Version): boolean {
  if (rule.from && !atLeast(v, rule.from.major, rule.from.minor)) return false;
  if (rule.through && atLeast(v, rule.through.major, rule.through.minor + 1)) return false;
  return true;
}
