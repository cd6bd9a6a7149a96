/**
 * What `apply` does when the inventory names other versions than the cluster runs (pure). The
 * versions the cluster runs are the ones recorded by the last full, successful apply (cluster.json
 * `versions`, pki/identity.ts): a record of what every host was left running, not a guess from one
 * host. Rules:
 * - Kubernetes moves at most one minor forward per apply (the version skew policy: kube-apiserver
 *   instances within one minor of each other, kubelets not newer than the apiservers), patches freely
 *   in either direction; never a minor back (objects may already be stored in an API version the older
 *   apiserver cannot read: the way back is `kubesmith etcd restore` of the snapshot taken before it).
 * - etcd follows etcd-upgrade.ts (one minor at a time, each step's patch floor); never a minor back
 *   (etcd's downgrade is a separate, cluster-wide procedure).
 * The order itself is the phases' (etcd, control plane, nodes) with their rolling restarts, which is
 * the order the skew policy requires; `lines` say so for `plan` and apply.
 */
import { etcdUpgradeProblem } from '../inventory/etcd-upgrade.js';
import type { Inventory } from '../inventory/types.js';
import type { DeployedVersions } from '../pki/identity.js';
import { compareVersions, parseVersion, type Version } from '../shared/semver.js';

/** A version change apply refuses, with the inventory key it comes from and the way out. */
export interface UpgradeProblem {
  readonly key: 'cluster.kubernetesVersion' | 'cluster.etcdVersion';
  readonly message: string;
  readonly hint: string;
}

/** What `plan` prints and apply announces, and what it refuses. */
export interface UpgradeCheck {
  readonly lines: readonly string[];
  readonly problems: readonly UpgradeProblem[];
}

const minorOf = (v: Version): string => `v${v.major}.${v.minor}`;

/** Compares the recorded versions with the inventory's; nothing recorded (never applied, or by an older kubesmith): nothing to say. */
export function upgradeCheck(recorded: DeployedVersions | undefined, inv: Inventory): UpgradeCheck {
  if (recorded === undefined) return { lines: [], problems: [] };
  const lines: string[] = [];
  const problems: UpgradeProblem[] = [];
  const k = [parseVersion(recorded.kubernetes), parseVersion(inv.cluster.kubernetesVersion)] as const;
  const e = [parseVersion(recorded.etcd), parseVersion(inv.cluster.etcdVersion)] as const;
  if (e[0] && e[1] && compareVersions(e[0], e[1]) !== 0) {
    const problem = etcdChange(e[0], e[1]);
    if (problem) problems.push(problem);
    else lines.push(`etcd ${e[0].text} -> ${e[1].text}: members one at a time, the leader last, each gated by member health + leader + revision agreement, after a verified snapshot (apply --no-etcd-snapshot skips it)`);
  }
  if (k[0] && k[1] && compareVersions(k[0], k[1]) !== 0) {
    const problem = kubernetesChange(k[0], k[1]);
    if (problem) problems.push(problem);
    else lines.push(kubernetesLine(k[0], k[1]));
  }
  return { lines, problems };
}

function kubernetesChange(from: Version, to: Version): UpgradeProblem | undefined {
  const key = 'cluster.kubernetesVersion';
  if (from.major !== to.major || to.minor > from.minor + 1) {
    const next = `v${from.major}.${from.minor + 1}`;
    return {
      key,
      message: `${to.text} skips ${next}: the cluster runs ${from.text} (recorded by the last full apply), and Kubernetes upgrades one minor at a time (version skew policy)`,
      hint: `set kubernetesVersion to the newest ${next} patch release, apply, then set ${to.text} and apply again; nothing was changed`,
    };
  }
  if (to.minor < from.minor) {
    return {
      key,
      message: `${to.text} is a minor older than the ${from.text} the cluster runs: Kubernetes does not support going back a minor (objects may already be stored in API versions ${minorOf(to)} cannot read)`,
      hint: `keep kubernetesVersion at a ${minorOf(from)} release; to undo an upgrade, restore the etcd snapshot apply took before it (\`kubesmith etcd restore --from FILE\`) with the old binaries; nothing was changed`,
    };
  }
  return undefined;
}

function kubernetesLine(from: Version, to: Version): string {
  const kind = to.minor !== from.minor ? 'upgrade' : compareVersions(to, from) > 0 ? 'patch upgrade' : 'patch downgrade';
  return (
    `Kubernetes ${from.text} -> ${to.text} (${kind}) in the order of the version skew policy: ` +
    'kube-apiserver one control plane at a time with its own controller-manager and scheduler (they talk to their own apiserver), ' +
    'then kubelet and kube-proxy in batches (concurrency.restarts.workers), each node cordoned and drained first (apply --no-drain: not) and uncordoned once Ready on the new version; ' +
    'a failed gate stops there, leaving the cluster working within the skew policy, and the next apply resumes'
  );
}

function etcdChange(from: Version, to: Version): UpgradeProblem | undefined {
  const key = 'cluster.etcdVersion';
  const forward = etcdUpgradeProblem(from, to);
  if (forward) return { key, message: `the cluster runs etcd ${from.text} (recorded by the last full apply): ${forward}`, hint: 'nothing was changed' };
  if (to.major !== from.major || to.minor < from.minor) {
    return {
      key,
      message: `etcd ${to.text} is older than the ${from.text} the cluster runs: a minor downgrade is etcd's own cluster-wide procedure (\`etcdctl downgrade\`), not a binary swap`,
      hint: `keep etcdVersion at a ${minorOf(from)} release; nothing was changed`,
    };
  }
  return undefined;
}
