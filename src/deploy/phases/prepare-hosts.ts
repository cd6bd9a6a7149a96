/**
 * prepare-hosts: the classic guide's host settings. Swap off (now and in fstab), bridge netfilter
 * and IP forwarding via /etc/sysctl.d, br_netfilter/overlay (and ipvs) via /etc/modules-load.d,
 * hostname, an /etc/hosts block with every host, firewalld stopped and SELinux permissive where
 * present. Inside containers modprobe, sysctl and hostname changes may be refused by the
 * container manager: those steps warn instead of failing.
 */
import type { Phase, PhaseInput, Step } from '../phase.js';
import { textFile } from './_text-file.js';
import { BASE_MODULES, IPVS_MODULES, NFTABLES_MODULES } from './_facts.js';
import { hostsBlock, withBlock } from './_etc-hosts.js';

export { etcHostsWith } from './_etc-hosts.js';

/** sysctl.d file; https://kubernetes.io/docs/setup/production-environment/container-runtimes/#prerequisite-ipv4-forwarding-optional */
export const SYSCTL_PATH = '/etc/sysctl.d/99-kubernetes.conf';
/** Bridged pod traffic must traverse iptables (kube-proxy, flannel) and nodes must forward. */
export const SYSCTL_TEXT = 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n';
/** Modules loaded at boot by systemd-modules-load. */
export const MODULES_PATH = '/etc/modules-load.d/kubernetes.conf';
function prepareSteps(input: PhaseInput): readonly Step[] {
  const { host, facts, plan } = input;
  const name = host.host.name;
  const inContainer = facts.container ? `inside a ${facts.container} container the machine controls this` : undefined;
  const tolerate = inContainer ? { tolerate: inContainer } : {};
  const mode = plan.inventory.cluster.proxyMode;
  const modules = [...BASE_MODULES, ...(mode === 'ipvs' ? IPVS_MODULES : mode === 'nftables' ? NFTABLES_MODULES : [])];
  // Inside a container a module the host neither has loaded nor can load (facts.modules: loaded,
  // modprobe-able or built in) must come from the machine; preflight warned. modprobe for it
  // failed on every apply, and as a command run it made the run's later phases stat again.
  const loadable = facts.container && facts.modules ? modules.filter((m) => facts.modules?.has(m)) : modules;
  const sysctlOk = "[ \"$(sysctl -n net.ipv4.ip_forward)\" = 1 ] && [ \"$(sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null)\" = 1 ]";
  const steps: Step[] = [
    { kind: 'exec', argv: ['swapoff', '-a'], why: 'kubelet refuses to run with swap', unless: ['sh', '-c', 'test -z "$(tail -n +2 /proc/swaps)"'], ...tolerate },
    {
      kind: 'exec',
      argv: ['sed', '-ri', '/^[^#]\\S*\\s+\\S+\\s+swap\\s/s/^/#/', '/etc/fstab'],
      why: 'keep swap off after reboot',
      unless: ['sh', '-c', "! grep -Eq '^[^#][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]' /etc/fstab"],
    },
    // The files first, one after the other in the plan so the executor writes them at once (a new
    // host paid a round trip per file between the commands); the commands that use them follow.
    { kind: 'put', artifact: textFile(name, MODULES_PATH, `${modules.join('\n')}\n`) },
    { kind: 'put', artifact: textFile(name, SYSCTL_PATH, SYSCTL_TEXT) },
    ...(facts.etcHosts !== undefined ? [{ kind: 'put', artifact: textFile(name, '/etc/hosts', withBlock(facts.etcHosts, hostsBlock(plan))) } as const] : []),
    ...loadSteps(loadable, tolerate),
    { kind: 'exec', argv: ['sysctl', '-p', SYSCTL_PATH], why: 'apply bridge netfilter and IP forwarding now', unless: ['sh', '-c', sysctlOk], ...tolerate },
    { kind: 'exec', argv: ['hostnamectl', 'set-hostname', name], why: 'node name == hostname', unless: ['sh', '-c', `[ "$(hostname)" = "${name}" ]`], ...tolerate },
  ];
  // Classic guide: firewalld off (flannel VXLAN, NodePorts and kubelet ports must pass).
  if (facts.firewalldActive) steps.push({ kind: 'exec', argv: ['systemctl', 'disable', '--now', 'firewalld'], why: 'cluster traffic must pass' });
  if (facts.selinux === 'Enforcing') {
    steps.push({ kind: 'exec', argv: ['setenforce', '0'], why: 'binaries from tarballs carry no SELinux labels' });
    steps.push({ kind: 'exec', argv: ['sed', '-i', 's/^SELINUX=enforcing/SELINUX=permissive/', '/etc/selinux/config'], why: 'stay permissive after reboot' });
  }
  return steps;
}

/** `modprobe -a` of the modules, unless each is loaded or built into the kernel; none for no modules. */
function loadSteps(modules: readonly string[], tolerate: { readonly tolerate?: string }): readonly Step[] {
  if (modules.length === 0) return [];
  return [
    {
      kind: 'exec',
      argv: ['modprobe', '-a', ...modules],
      why: 'load the modules now (modules-load.d covers reboots)',
      // Loaded, or built into the kernel: a built-in module without parameters (nf_tables=y on
      // Debian's kernels) has no /sys/module entry, and modprobe ran on every apply for it.
      unless: ['sh', '-c', `for m in ${modules.join(' ')}; do [ -d "/sys/module/$m" ] || grep -qs "/$m\\.ko" "/lib/modules/$(uname -r)/modules.builtin" || exit 1; done`],
      ...tolerate,
    },
  ];
}

/** Host settings every node needs. */
export const prepareHosts: Phase = {
  id: 'prepare-hosts',
  title: 'Prepare hosts',
  hosts: (plan) => plan.hosts,
  plan: prepareSteps,
};
