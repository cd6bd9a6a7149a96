/**
 * Every version-dependent rendering decision, in one table. Each entry says which versions it
 * applies to (inclusive minor range), why, and where that fact is documented. View builders ask
 * `appliesTo(rule, version)` instead of comparing versions themselves, so a reviewer can audit
 * all of kubesmith's version knowledge here. Supported: Kubernetes v1.28-v1.38 (SUPPORTED_KUBERNETES).
 *
 * `flags` are the command-line flags (`--name`) or config lines a rule governs: they may appear in a
 * render only for versions the rule applies to (test/render/flags-table.test.ts checks every
 * supported version). Entries whose range ends before v1.28 are flags kubesmith NEVER renders; they
 * stay in the table so nobody "helpfully" adds them back from an old guide.
 */
import type { VersionRule } from './version-rule.js';

export { appliesTo, type VersionRule } from './version-rule.js';
export { CONTAINERD_RULES } from './containerd-rules.js';

const CL = (minor: number): string => `https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.${minor}.md`;

/** Kubernetes rules. */
export const K8S_RULES = {
  klogFlagsRemoved: {
    component: 'all',
    what: '--logtostderr, --alsologtostderr, --log-dir, --log-file, --log-file-max-size, --skip-log-headers ...',
    through: { major: 1, minor: 25 },
    why: 'removed in v1.26 (KEP-2845); components log to stderr and journald keeps it, so never rendered',
    link: 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-instrumentation/2845-deprecate-klog-specific-flags-in-k8s-components',
    flags: ['--logtostderr', '--alsologtostderr', '--log-dir', '--log-file', '--log-file-max-size', '--skip-log-headers'],
    removed: true,
  },
  dockershimFlagsRemoved: {
    component: 'kubelet',
    what: '--network-plugin, --cni-bin-dir, --cni-conf-dir, --docker-endpoint, --image-pull-progress-deadline',
    through: { major: 1, minor: 23 },
    why: 'dockershim was removed in v1.24; CNI is configured in containerd, so never rendered',
    link: 'https://kubernetes.io/blog/2022/02/17/dockershim-faq/',
    flags: ['--network-plugin', '--cni-bin-dir', '--cni-conf-dir', '--docker-endpoint', '--image-pull-progress-deadline'],
    removed: true,
  },
  kubeletContainerRuntimeFlag: {
    component: 'kubelet',
    what: '--container-runtime=remote',
    through: { major: 1, minor: 26 },
    why: 'only "remote" was valid since v1.24 and it is the default; the flag was removed in v1.27, so never rendered',
    link: CL(27),
    flags: ['--container-runtime='],
    removed: true,
  },
  kubeletRuntimeEndpointFlag: {
    component: 'kubelet',
    what: '--container-runtime-endpoint flag instead of KubeletConfiguration.containerRuntimeEndpoint',
    through: { major: 1, minor: 26 },
    why: 'the config field exists since v1.27 and the flag is deprecated (still accepted in v1.36) in its favour; every supported version gets the field',
    link: 'https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/#kubelet-config-k8s-io-v1beta1-KubeletConfiguration',
    flags: ['--container-runtime-endpoint'],
  },
  kubeletPodInfraImageFlag: {
    component: 'kubelet',
    what: '--pod-infra-container-image',
    through: { major: 1, minor: 34 },
    why: 'a no-op since v1.27 (the sandbox image is containerd\'s, pinned there) and removed from the kubelet in v1.35 (#133779): never rendered',
    link: CL(35),
    flags: ['--pod-infra-container-image'],
    removed: true,
  },
  experimentalClusterSigningDuration: {
    component: 'kube-controller-manager',
    what: '--experimental-cluster-signing-duration (use --cluster-signing-duration)',
    through: { major: 1, minor: 24 },
    why: 'removed in v1.25; kubesmith always renders --cluster-signing-duration',
    link: CL(25),
    flags: ['--experimental-cluster-signing-duration'],
    removed: true,
  },
  insecureServingRemoved: {
    component: 'kube-apiserver, kube-controller-manager, kube-scheduler',
    what: '--insecure-port, --insecure-bind-address, --kubelet-https (and the control plane\'s insecure --port/--address; the kubelet keeps its own)',
    through: { major: 1, minor: 23 },
    why: 'insecure serving was removed by v1.24; only secure ports exist, so never rendered',
    link: CL(24),
    flags: ['--insecure-port', '--insecure-bind-address', '--kubelet-https'],
    removed: true,
  },
  kcmConcurrentServiceSyncs: {
    component: 'kube-controller-manager',
    what: '--concurrent-service-syncs',
    through: { major: 1, minor: 36 },
    why: 'a no-op since v1.31 (the service controller moved to cloud-controller-manager) and removed in v1.37 (#138002): never rendered',
    link: CL(37),
    flags: ['--concurrent-service-syncs'],
    removed: true,
  },
  apiserverPeerProxy: {
    component: 'kube-apiserver',
    what: '--peer-ca-file, --peer-advertise-ip, --peer-advertise-port with 2+ control-plane hosts',
    from: { major: 1, minor: 36 },
    why: 'UnknownVersionInteroperabilityProxy is beta and on by default from v1.36 and needs --peer-ca-file (#137172): during a rolling upgrade an apiserver forwards requests for resources it does not serve to a peer that does',
    link: CL(36),
    flags: ['--peer-ca-file', '--peer-advertise-ip', '--peer-advertise-port'],
  },
  kubeletFailCgroupV1Field: {
    component: 'kubelet',
    what: 'KubeletConfiguration.failCgroupV1 (rendered only when kubelet.failCgroupV1 is set)',
    from: { major: 1, minor: 31 },
    why: 'the field exists from v1.31 (KEP-4569, cgroup v1 in maintenance mode); validate refuses kubelet.failCgroupV1 for older versions instead of rendering an unknown field',
    link: 'https://kubernetes.io/blog/2024/08/14/kubernetes-1-31-moving-cgroup-v1-support-maintenance-mode/',
    flags: ['failCgroupV1:'],
  },
  kubeletRefusesCgroupV1: {
    component: 'kubelet',
    what: 'failCgroupV1 defaults to true: the kubelet does not start on a cgroup v1 host',
    from: { major: 1, minor: 35 },
    why: 'ACTION REQUIRED in v1.35 (#134298): preflight fails cgroup v1 hosts unless kubelet.failCgroupV1: false is set (with a warning)',
    link: CL(35),
  },
  kubeProxyNftables: {
    component: 'kube-proxy',
    what: 'mode: nftables',
    from: { major: 1, minor: 33 },
    why: 'the nftables mode is GA from v1.33 (KEP-3866; restated by kubeadm\'s ipvs deprecation warning, #139067 in v1.37); needs kernel 5.13+ and nft 1.0.1+ on the node (preflight checks)',
    link: CL(37),
    flags: ['mode: nftables', 'nftables:'],
  },
  kubeProxyNftablesDefault: {
    component: 'kube-proxy',
    what: 'cluster.proxyMode defaults to nftables (ipvs before)',
    from: { major: 1, minor: 35 },
    why: 'ipvs is deprecated from v1.35 and nftables is its successor; earlier versions keep the classic guide\'s ipvs default',
    link: CL(35),
  },
  kubeProxyIpvsDeprecated: {
    component: 'kube-proxy',
    what: 'mode: ipvs prints a deprecation warning',
    from: { major: 1, minor: 35 },
    why: 'IPVS mode is deprecated from v1.35 (nftables is the successor); still rendered when chosen, with a plan notice',
    link: CL(35),
  },
  kubeletNeedsCriRuntimeConfig: {
    component: 'kubelet',
    what: 'the CRI must answer RuntimeConfig (cgroup driver from the runtime): containerd 2.0+',
    from: { major: 1, minor: 38 },
    why: 'v1.37 deferred removing the cgroupDriver fallback to v1.38 "to align with containerd v1.7 support" (#139121); from v1.38 containerd 1.7 is not enough',
    link: CL(37),
  },
} as const satisfies Record<string, VersionRule>;

/**
 * Flags kubesmith renders for every supported version, per component (unit file name). Each was
 * checked against the options of v1.35.6 and v1.36.3 (cmd/<component>/app/options,
 * pkg/controlplane/apiserver/options, staging/src/k8s.io/apiserver/pkg/server/options) and the
 * removal notes of CHANGELOG-1.28 .. 1.38; test/render/flags-table.test.ts re-checks them against
 * those source trees when they are present.
 */
export const STABLE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'kube-apiserver': [
    'advertise-address', 'bind-address', 'secure-port', 'allow-privileged', 'authorization-mode', 'enable-admission-plugins',
    'enable-bootstrap-token-auth', 'service-cluster-ip-range', 'client-ca-file', 'tls-cert-file', 'tls-private-key-file',
    'kubelet-client-certificate', 'kubelet-client-key', 'kubelet-preferred-address-types', 'etcd-servers', 'etcd-cafile',
    'etcd-certfile', 'etcd-keyfile', 'service-account-issuer', 'service-account-key-file', 'service-account-signing-key-file',
    'requestheader-client-ca-file', 'requestheader-allowed-names', 'requestheader-username-headers', 'requestheader-group-headers',
    'requestheader-extra-headers-prefix', 'proxy-client-cert-file', 'proxy-client-key-file', 'shutdown-send-retry-after', 'v',
  ],
  'kube-controller-manager': [
    'bind-address', 'kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig', 'leader-elect', 'client-ca-file',
    'requestheader-client-ca-file', 'root-ca-file', 'service-account-private-key-file', 'use-service-account-credentials', 'controllers',
    'cluster-signing-cert-file', 'cluster-signing-key-file', 'cluster-signing-duration', 'allocate-node-cidrs', 'cluster-cidr',
    'service-cluster-ip-range', 'v',
  ],
  'kube-scheduler': ['bind-address', 'kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig', 'leader-elect', 'v'],
  kubelet: ['bootstrap-kubeconfig', 'kubeconfig', 'config', 'cert-dir', 'hostname-override', 'node-ip', 'v'],
  'kube-proxy': ['config', 'v'],
};

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
