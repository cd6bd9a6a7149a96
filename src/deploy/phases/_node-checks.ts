/**
 * Preflight for what current Kubernetes needs from a node's OS: the cgroup v2 hierarchy (kubelets
 * from v1.35 refuse cgroup v1 unless failCgroupV1 is false) and, for kube-proxy's nftables mode,
 * a 5.13+ kernel and nft 1.0.1+. Without these the kubelet or kube-proxy exits at start, which
 * apply would otherwise only see as a unit that never becomes active.
 */
import { appliesTo, K8S_RULES } from '../../render/flags-by-version.js';
import { parseVersion } from '../../shared/semver.js';
import type { PhaseInput, Problem } from '../phase.js';

/** kube-proxy's nftables mode: kernel and nft minimums (kubernetes.io kube-proxy nftables docs, knftables). */
export const NFTABLES_MIN = { kernel: [5, 13], nft: [1, 0, 1] } as const;

const UNIFIED_HINT =
  'boot the host with the unified cgroup v2 hierarchy: add systemd.unified_cgroup_hierarchy=1 to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot)';

/** "6.1.0-28-amd64" -> [6, 1, 0]; "1.0.6" -> [1, 0, 6]. */
function numbers(text: string | undefined): readonly number[] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function below(have: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = have[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a < b;
  }
  return false;
}

/** cgroup and nftables problems of a host that runs a kubelet; other hosts have none. */
export function nodeProblems(input: PhaseInput): readonly Problem[] {
  const roles = input.host.host.roles;
  if (!roles.includes('worker') && !roles.includes('control-plane')) return [];
  const inv = input.plan.inventory;
  const k8s = parseVersion(inv.cluster.kubernetesVersion);
  const f = input.facts;
  const out: Problem[] = [];
  // tmpfs at /sys/fs/cgroup is the legacy or hybrid layout: both are "cgroup v1" to the kubelet.
  if (k8s !== undefined && f.cgroupFs === 'tmpfs') {
    const refused = appliesTo(K8S_RULES.kubeletRefusesCgroupV1, k8s);
    if (refused && inv.kubelet.failCgroupV1 !== false) {
      out.push({
        severity: 'error',
        message: `the host uses cgroup v1 (/sys/fs/cgroup is tmpfs): kubelet ${k8s.text} refuses to start there (failCgroupV1 defaults to true from v1.35)`,
        hint: `${UNIFIED_HINT}; or set kubelet.failCgroupV1: false in the inventory (cgroup v1 is deprecated; validate and plan warn)`,
      });
    } else {
      const why = refused ? 'runs only because kubelet.failCgroupV1 is false' : 'is refused by default by kubelets from v1.35';
      out.push({ severity: 'warning', message: `the host uses cgroup v1 (/sys/fs/cgroup is tmpfs), which is deprecated and ${why}: ${UNIFIED_HINT}` });
    }
  }
  if (inv.cluster.proxyMode === 'nftables') {
    const kernel = numbers(f.kernel);
    if (kernel !== undefined && below(kernel, NFTABLES_MIN.kernel)) {
      out.push({
        severity: 'error',
        message: `kernel ${f.kernel} is older than ${NFTABLES_MIN.kernel.join('.')}, which kube-proxy's nftables mode needs`,
        hint: 'upgrade the kernel, or set cluster.proxyMode: iptables',
      });
    }
    const nft = numbers(f.nftVersion);
    // Only a probe that ran (kernel known) can say nft is missing.
    if (f.kernel !== undefined && (nft === undefined || below(nft, NFTABLES_MIN.nft))) {
      out.push({
        severity: 'error',
        message: nft === undefined ? 'nft is not installed; kube-proxy\'s nftables mode runs it' : `nft ${f.nftVersion} is older than ${NFTABLES_MIN.nft.join('.')}, which kube-proxy's nftables mode needs`,
        hint: 'install the OS package nftables (Debian/Ubuntu and RHEL: nftables), or set cluster.proxyMode: iptables',
      });
    }
  }
  return out;
}
