/**
 * Pure pieces of `kubesmith etcd restore`: where things go on a member, the per-member restore
 * command, and the artifact that carries the snapshot. Every step converges on a rerun:
 * - the snapshot is a put (skipped when the member already has it, by sha256);
 * - the member restore is one script guarded by a marker named after the restore's cluster token:
 *   done once per restore, redone after an interruption (the data directory it finds, ours or the
 *   operator's, is moved aside again, never deleted);
 * - stops and starts are no-ops when the unit already is where it should be.
 */
import type { Artifact, ClusterPlan, PlannedHost } from '../../plan/types.js';
import { hostPart } from '../../render/endpoints.js';
import { remoteLayout } from '../../render/layout.js';
import { artifactsOf } from './_artifacts.js';
import { etcdMembers, offlineTool } from './_etcd-backup.js';

/** Where restore keeps the pushed snapshot and its markers on each member (root only). */
export const RESTORE_DIR = '/var/lib/kubesmith/etcd-restore';

/** What one restore is: the verified local snapshot, and the values fixed when it first started. */
export interface RestoreSpec {
  readonly snapshot: { readonly path: string; readonly sha256: string; readonly size: number };
  /** The new cluster token (never the install's `kubesmith-<cluster>`): a new cluster ID. */
  readonly token: string;
  /** backupStamp() of the restore's first start: names the moved-aside data directories. */
  readonly stamp: string;
}

/** The snapshot's path on a member (by content, so a rerun finds it). */
export function remoteSnapshotPath(spec: RestoreSpec): string {
  return `${RESTORE_DIR}/snapshot-${spec.snapshot.sha256.slice(0, 16)}.db`;
}

/** Present once this member was restored for `token`. */
export function restoredMarker(token: string): string {
  return `${RESTORE_DIR}/restored-${token}`;
}

/** The member's data directory and the name it is moved aside to. */
export function dataDirs(plan: ClusterPlan, stamp: string): { readonly data: string; readonly aside: string } {
  const data = remoteLayout(plan.inventory).etcdData;
  return { data, aside: `${data}.before-restore-${stamp}` };
}

/** The snapshot as a put artifact: streamed from the local file, checked by sha256 on the host. */
export function snapshotArtifact(h: PlannedHost, spec: RestoreSpec): Artifact {
  const path = remoteSnapshotPath(spec);
  return {
    id: `${path}@${h.host.name}`,
    host: h.host.name,
    kind: 'binary',
    phase: 'etcd-restore',
    path,
    content: { bundleFile: spec.snapshot.path, member: spec.snapshot.path, localFile: spec.snapshot.path, size: spec.snapshot.size },
    sha256: spec.snapshot.sha256,
    mode: 0o600,
    owner: 'root:root',
    // The snapshot holds every Secret of the cluster.
    secret: true,
    restarts: [],
  };
}

/** The member's etcd certificates and CA (a host with a new address gets its re-issued ones). */
export function etcdCredentialArtifacts(plan: ClusterPlan, h: PlannedHost): readonly Artifact[] {
  const root = `${plan.inventory.paths.etcd.replace(/\/+$/, '')}/`;
  return artifactsOf(h, 'certificates').filter((a) => a.path.startsWith(root));
}

/** `etcdutl snapshot restore` flags for member `h`: its name and peer URL, the inventory's cluster, the new token. */
export function restoreFlags(plan: ClusterPlan, h: PlannedHost, token: string): readonly string[] {
  const peer = (m: PlannedHost): string => `https://${hostPart(m.host.internalIP)}:2380`;
  return [
    `--name=${h.host.name}`,
    `--initial-cluster=${etcdMembers(plan).map((m) => `${m.host.name}=${peer(m)}`).join(',')}`,
    `--initial-cluster-token=${token}`,
    `--initial-advertise-peer-urls=${peer(h)}`,
  ];
}

/**
 * The member restore: unless the marker says it was done, move the data directory aside (a free
 * name: `<data>.before-restore-<stamp>`, then `.1`, `.2`, ...), restore into a temp directory of
 * kubesmith's own, rename it into place, sync, mark. An interruption before the rename leaves the
 * data directory absent or moved aside, and the rerun restores again.
 */
const MEMBER_SCRIPT = [
  'set -e',
  'snap=$1; data=$2; aside=$3; mark=$4; tool=$5; shift 5',
  '[ -e "$mark" ] && exit 0',
  'if [ -e "$data" ]; then a=$aside; n=1; while [ -e "$a" ]; do a="$aside.$n"; n=$((n+1)); done; mv "$data" "$a"; echo "moved $data aside to $a"; fi',
  'tmp="$data.kubesmith-restore-tmp"',
  'rm -rf "$tmp"',
  'ETCDCTL_API=3 "$tool" snapshot restore "$snap" --data-dir "$tmp" "$@" 2>&1',
  'chmod 700 "$tmp"',
  'mv "$tmp" "$data"',
  'sync',
  'touch "$mark"',
].join('\n');

/** argv of the member restore (MEMBER_SCRIPT). */
export function memberRestoreArgv(plan: ClusterPlan, h: PlannedHost, spec: RestoreSpec): readonly string[] {
  const { data, aside } = dataDirs(plan, spec.stamp);
  return ['sh', '-c', MEMBER_SCRIPT, 'sh', remoteSnapshotPath(spec), data, aside, restoredMarker(spec.token), offlineTool(plan), ...restoreFlags(plan, h, spec.token)];
}

/** `systemctl stop UNIT` unless it is already stopped. */
export function stopStep(unit: string, why: string): { kind: 'exec'; argv: readonly string[]; unless: readonly string[]; why: string } {
  return { kind: 'exec', argv: ['systemctl', 'stop', unit], unless: ['sh', '-c', `! systemctl is-active --quiet ${unit}`], why };
}
