/**
 * preflight: pure checks on the gathered facts before anything is written. Errors fail the host
 * (all of them listed); warnings are reported. Ports count as free when the process holding them
 * is already the component kubesmith installs there (a re-apply).
 */
import type { Phase, PhaseInput, Problem } from '../phase.js';
import { BASE_MODULES, IPVS_MODULES, NFTABLES_MODULES } from './_facts.js';
import { identityProblems } from './_identity-checks.js';
import { nodeProblems } from './_node-checks.js';
import { proxyProblems } from './_proxy-checks.js';
import { joinProblems } from './_etcd-join.js';

/** Allowed clock skew: etcd and TLS certificate validity both break beyond this. */
export const MAX_CLOCK_SKEW_MS = 30_000;
const GIB = 1024 ** 3;

/** Port -> the process names (ss truncates to 15 chars) that may hold it; the first one needs it. */
function portsFor(input: PhaseInput): ReadonlyMap<number, readonly string[]> {
  const r = new Set(input.host.host.roles);
  const ports = new Map<number, readonly string[]>();
  if (r.has('etcd')) (ports.set(2379, ['etcd']), ports.set(2380, ['etcd']));
  if (r.has('control-plane')) {
    // With ha: local-proxy our own nginx shares the apiserver's port on 127.0.0.1 (endpoints.ts);
    // ss lists both sockets and either may be the one recorded for the port.
    const api = input.plan.inventory.cluster.apiServer;
    ports.set(api.port, api.ha === 'local-proxy' ? ['kube-apiserver', 'nginx'] : ['kube-apiserver']);
    ports.set(10257, ['kube-controller']);
    ports.set(10259, ['kube-scheduler']);
  }
  if (r.has('control-plane') || r.has('worker')) ports.set(10250, ['kubelet']);
  return ports;
}

/** All problems for one host. Exported for table tests. */
export function preflightProblems(input: PhaseInput): readonly Problem[] {
  const f = input.facts;
  const out: Problem[] = [];
  const err = (message: string, hint: string): void => void out.push({ severity: 'error', message, hint });
  const warn = (message: string): void => void out.push({ severity: 'warning', message });
  if (f.arch !== undefined && f.arch !== 'x86_64') err(`architecture is ${f.arch}`, 'the offline bundle holds linux-amd64 binaries; use x86_64 hosts');
  if (f.systemd === undefined) err('systemd is not running as the init system', 'kubesmith installs systemd units; use a systemd-based distribution');
  if (f.clockSkewMs !== undefined && Math.abs(f.clockSkewMs) > MAX_CLOCK_SKEW_MS) {
    err(`clock is off by ${Math.round(f.clockSkewMs / 1000)} s`, 'enable time sync (chrony or systemd-timesyncd); certificates and etcd need clocks within 30 s');
  }
  for (const [port, owners] of portsFor(input)) {
    const holder = f.listeners?.get(port);
    if (holder !== undefined && !owners.some((owner) => owner.startsWith(holder) || holder.startsWith(owner))) {
      err(`port ${port} is in use by ${holder || 'another process'}`, `stop that service, or move it off port ${port} (${owners[0] ?? ''} needs it)`);
    }
  }
  if (f.swapActive) warn('swap is on: prepare-hosts turns it off (kubelet refuses to run with swap)');
  const mode = input.plan.inventory.cluster.proxyMode;
  const needed = [...BASE_MODULES, ...(mode === 'ipvs' ? IPVS_MODULES : mode === 'nftables' ? NFTABLES_MODULES : [])];
  const missing = f.modules ? needed.filter((m) => !f.modules?.has(m)) : [];
  if (missing.length > 0) {
    if (f.container) warn(`kernel modules ${missing.join(', ')} are not loaded; inside a ${f.container} container they must be loaded on the machine`);
    else err(`kernel modules not available: ${missing.join(', ')}`, 'install the kernel modules package for the running kernel');
  }
  const binBytes = input.host.artifacts.reduce((n, a) => n + (typeof a.content === 'string' ? 0 : a.content.size ?? 0), 0);
  const needBytes = binBytes + GIB;
  if (f.diskFreeBytes !== undefined && f.diskFreeBytes < needBytes) {
    err(`only ${(f.diskFreeBytes / GIB).toFixed(1)} GiB free on /opt`, `free at least ${(needBytes / GIB).toFixed(1)} GiB (binaries plus 1 GiB for logs and data)`);
  }
  if (f.selinux === 'Enforcing') warn('SELinux is enforcing: prepare-hosts sets it to permissive (classic guide)');
  out.push(...proxyProblems(input), ...joinProblems(input.plan, input.host.host.name));
  out.push(...identityProblems(input));
  out.push(...nodeProblems(input));
  return out;
}

/** Fails hosts that cannot run the cluster, before any write; a gate, so one such host stops the run. */
export const preflight: Phase = {
  id: 'preflight',
  title: 'Preflight checks',
  gate: true,
  hosts: (plan) => plan.hosts,
  check: preflightProblems,
  plan: () => [],
};
