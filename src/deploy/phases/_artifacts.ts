/**
 * Which deploy phase ships which artifact, and what a unit runs. The renderer tags artifacts with
 * its own phase names ("install-etcd", "distribute-pki", ...); binaries and credentials are
 * recognised by kind so that every artifact is shipped by exactly one phase.
 */
import type { Artifact, PlannedHost } from '../../plan/types.js';

/** The apply phases that ship files. */
export type ShippingPhase = 'binaries' | 'certificates' | 'etcd' | 'control-plane' | 'nodes';

const ALIASES: Readonly<Record<string, ShippingPhase>> = {
  'install-binaries': 'binaries',
  'distribute-pki': 'certificates',
  'install-etcd': 'etcd',
  'install-control-plane': 'control-plane',
  'install-loadbalancer': 'control-plane',
  'install-workers': 'nodes',
};

const UNIT_PHASE: Readonly<Record<string, ShippingPhase>> = {
  'etcd.service': 'etcd',
  'kube-apiserver.service': 'control-plane',
  'kube-controller-manager.service': 'control-plane',
  'kube-scheduler.service': 'control-plane',
  'kubesmith-apiserver-lb.service': 'control-plane',
  'kubesmith-keepalived.service': 'control-plane',
};

/** The phase that ships `a`. */
export function phaseOfArtifact(a: Artifact): ShippingPhase {
  if (a.kind === 'binary') return 'binaries';
  if (a.kind === 'cert' || a.kind === 'key') return 'certificates';
  const alias = ALIASES[a.phase];
  if (alias) return alias;
  if (a.phase === 'binaries' || a.phase === 'certificates' || a.phase === 'etcd' || a.phase === 'control-plane' || a.phase === 'nodes') return a.phase;
  return a.restarts.map((u) => UNIT_PHASE[u]).find((p) => p !== undefined) ?? 'nodes';
}

/** The host's artifacts shipped by `phase`, in plan order. */
export function artifactsOf(host: PlannedHost, phase: ShippingPhase): readonly Artifact[] {
  return host.artifacts.filter((a) => phaseOfArtifact(a) === phase);
}

/** The phase that starts a unit (units absent from the table belong to nodes: containerd, kubelet, proxies). */
export function phaseOfUnit(unit: string): ShippingPhase {
  return UNIT_PHASE[unit] ?? 'nodes';
}

/** The unit file artifact of `unit` on this host, if the plan ships one. */
export function unitFile(host: PlannedHost, unit: string): Artifact | undefined {
  return host.artifacts.find((a) => a.kind === 'unit' && a.path.endsWith(`/${unit}`));
}

/** First word of ExecStart= in a rendered unit: the binary the unit runs. */
export function execOfUnit(unitText: string): string | undefined {
  const m = /^ExecStart=[-@:+!]*(\S+)/m.exec(unitText);
  return m?.[1];
}

/** Binaries of the host's units started by `phase`: unit -> executable path. */
export function unitBinaries(host: PlannedHost, phase: ShippingPhase): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const u of host.units.filter((x) => phaseOfUnit(x) === phase)) {
    const f = unitFile(host, u);
    const exec = f && typeof f.content === 'string' ? execOfUnit(f.content) : undefined;
    if (exec) out.set(u, exec);
  }
  return out;
}
