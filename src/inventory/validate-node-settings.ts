/**
 * The node components' own settings: `kubelet:` (failCgroupV1) and `kubeProxy:` (conntrack), and
 * the version rules that go with them and with cluster.proxyMode. The version facts come from
 * src/render/flags-by-version.ts, so validate, render and preflight agree on one table.
 */
import { appliesTo, K8S_RULES, type VersionRule } from '../render/flags-by-version.js';
import { parseVersion, type Version } from '../shared/semver.js';
import type { IssueSink } from './validate-context.js';
import { bool, int, str } from './validate-scalars.js';
import { obj } from './validate-schema.js';

/** A Go duration as kube-proxy parses it ("24h", "1h30m", "90s", "0s"). */
function goDuration(s: string, key: string): string | undefined {
  return /^(0|(\d+(h|m|s|ms))+)$/.test(s) ? undefined : `${key} "${s}" is not a duration; write it like 24h, 1h30m, 90s or 0s (0s leaves the kernel's value)`;
}

/** `kubelet:`: what the KubeletConfiguration takes beyond kubesmith's fixed settings. */
export const KUBELET_SHAPE = obj({ failCgroupV1: bool() });

/** `kubeProxy:`: conntrack sysctls kube-proxy writes at start (0 / 0s leaves the kernel's value). */
export const KUBE_PROXY_SHAPE = obj({
  conntrack: obj({
    maxPerCore: int(0, 1_048_576, 'a whole number from 0 to 1048576 (0 leaves nf_conntrack_max alone)'),
    min: int(0, 1_048_576, 'a whole number from 0 to 1048576'),
    tcpEstablishedTimeout: str(goDuration, 'a duration like 24h'),
    tcpCloseWaitTimeout: str(goDuration, 'a duration like 1h'),
  }),
});

/** The parts of the raw inventory these rules read (structural, so validate-shape.ts need not be imported). */
interface NodeSettingsInput {
  readonly cluster?: { readonly kubernetesVersion?: string; readonly proxyMode?: string };
  readonly kubelet?: { readonly failCgroupV1?: boolean };
}

const since = (r: VersionRule): string => `v${r.from?.major}.${r.from?.minor}`;

/** failCgroupV1 and proxyMode against the Kubernetes version; warnings where behaviour is risky but allowed. */
export function validateNodeSettings(raw: NodeSettingsInput, sink: IssueSink): void {
  const text = raw.cluster?.kubernetesVersion;
  const k8s: Version | undefined = text === undefined ? undefined : parseVersion(text);
  if (k8s === undefined) return; // validate-cluster reports a missing or malformed version
  const fail = raw.kubelet?.failCgroupV1;
  if (fail !== undefined) {
    const field = K8S_RULES.kubeletFailCgroupV1Field;
    if (!appliesTo(field, k8s)) {
      sink.error('kubelet.failCgroupV1', `failCgroupV1 needs Kubernetes ${since(field)} or later (${text} has no such KubeletConfiguration field); remove it`);
    } else if (!fail) {
      // Never a silent default: the operator asked for it, and is told what it means every time.
      sink.warning(
        'kubelet.failCgroupV1',
        `failCgroupV1: false lets the kubelet run on cgroup v1 hosts, which are deprecated (maintenance only) and ${appliesTo(K8S_RULES.kubeletRefusesCgroupV1, k8s) ? 'refused by default' : `refused by default from ${since(K8S_RULES.kubeletRefusesCgroupV1)}`}; move the hosts to cgroup v2 (systemd.unified_cgroup_hierarchy=1) and remove it`,
      );
    }
  }
  const mode = raw.cluster?.proxyMode;
  if (mode === 'nftables' && !appliesTo(K8S_RULES.kubeProxyNftables, k8s)) {
    sink.error('cluster.proxyMode', `proxyMode nftables needs Kubernetes ${since(K8S_RULES.kubeProxyNftables)} or later (GA there); use ipvs or iptables with ${text}`);
  }
  if (mode === 'ipvs' && appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, k8s)) {
    sink.warning('cluster.proxyMode', `proxyMode ipvs is deprecated from ${since(K8S_RULES.kubeProxyIpvsDeprecated)} and will be removed; nftables is its successor (kernel 5.13+, nft 1.0.1+)`);
  }
}
