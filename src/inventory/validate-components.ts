/**
 * Rules for the components around Kubernetes: the etcd release (3.6/3.7; 3.5 only while a cluster
 * waits for its upgrade), the containerd release against the Kubernetes version, the add-on choice,
 * and registry mirrors. Facts and links: ETCD_RULES / CONTAINERD_RULES in src/render/flags-by-version.ts.
 */
import { CONTAINERD_RULES, ETCD_UPGRADE_FLOOR, appliesTo } from '../render/flags-by-version.js';
import { atLeast, compareVersions, parseVersion } from '../shared/semver.js';
import type { IssueSink } from './validate-context.js';
import type { RawInventory } from './validate-shape.js';

/** etcd, containerd, add-on and mirror rules. */
export function validateComponents(raw: RawInventory, sink: IssueSink): void {
  const k8s = parseVersion(raw.cluster?.kubernetesVersion ?? '');
  validateEtcd(raw, sink);
  validateContainerd(raw, sink, k8s);
  const mirrors = raw.containerd?.mirrors ?? [];
  const seen = new Map<string, number>();
  mirrors.forEach((m, i) => {
    if (m?.registry === undefined) return;
    const first = seen.get(m.registry);
    if (first !== undefined) sink.error(`containerd.mirrors[${i}].registry`, `registry ${m.registry} is listed twice (also containerd.mirrors[${first}]); put all its endpoints in one entry`);
    else seen.set(m.registry, i);
  });
  if (raw.cluster?.cni === 'none') {
    sink.warning('cluster.cni', 'cni: none: kubesmith installs no pod network; nodes stay NotReady (and CoreDNS Pending) until you install a CNI');
  }
}

function validateEtcd(raw: RawInventory, sink: IssueSink): void {
  const text = raw.cluster?.etcdVersion;
  const v = text === undefined ? undefined : parseVersion(text);
  if (v === undefined) return;
  if (v.major === 3 && v.minor === 5) {
    const floor = ETCD_UPGRADE_FLOOR['3.6'];
    const min = floor && parseVersion(floor.from);
    const below = min !== undefined && compareVersions(v, min) < 0;
    sink.warning(
      'cluster.etcdVersion',
      `etcd ${text} is accepted only as the version a running cluster has before its upgrade to 3.6 (new clusters get v3.6.x)` +
        (below ? `; ${floor?.from} or later is required before 3.6: upgrade to ${floor?.from} first (${floor?.rule.link})` : ''),
    );
  }
}

function validateContainerd(raw: RawInventory, sink: IssueSink, k8s: ReturnType<typeof parseVersion>): void {
  const text = raw.containerd?.version;
  if (text === undefined) return;
  const v = parseVersion(text);
  if (v === undefined) {
    sink.error('containerd.version', `containerd.version "${text}" is malformed; write a release like v2.3.0`);
    return;
  }
  if (v.major < 1 || (v.major === 1 && v.minor < 7) || v.major > 2) {
    sink.error('containerd.version', `containerd ${text} is not supported; use v2.0 or later (v1.7 only with Kubernetes v1.35 or older)`);
    return;
  }
  if (k8s !== undefined && appliesTo(CONTAINERD_RULES.configV2, v) && atLeast(k8s, 1, 36)) {
    sink.error('containerd.version', `containerd ${text} (1.x) is kept for Kubernetes v1.35 and older only; Kubernetes ${k8s.text} needs containerd v2.0 or later (${CONTAINERD_RULES.configV2.link})`);
  }
}
