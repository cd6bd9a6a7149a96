/**
 * The network and DNS add-ons: flannel (vxlan over inventory podCIDR) and CoreDNS (clusterDNS,
 * clusterDomain), applied from the plan's rendered manifests through the API with the same
 * create-or-replace as every other object (a second apply changes nothing); waiting for nodes to
 * turn Ready once the CNI is in place; and the `ctr images import` steps that put the add-on and
 * pause images into containerd's k8s.io namespace from the offline bundle (nothing is pulled:
 * the manifests use imagePullPolicy IfNotPresent). Pure apart from the injected client.
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { BinarySource, ClusterManifest, ClusterPlan } from '../plan/types.js';
import { remoteLayout } from '../render/layout.js';
import { ADDON_IMAGES } from '../render/views/cluster.js';
import type { Clock } from '../shared/clock.js';
import { Interrupted, InternalError } from '../shared/errors.js';
import { abortableSleep, type KubeClient } from './client.js';
import { applyManifests, type AppliedObject } from './manifests.js';
import type { KubeObject } from './types.js';

/** The plan's add-on manifests, in apply order: the network before DNS (CoreDNS pods need pod IPs). */
export const ADDON_MANIFESTS = ['flannel', 'coredns'] as const;

/**
 * The add-ons this inventory installs: `cluster.cni: none` drops flannel (the operator brings a
 * CNI) and `cluster.coredns: false` drops CoreDNS. The manifests, the node images and the bundle's
 * image tarballs all follow this one list.
 */
export function enabledAddons(inv: Pick<Inventory, 'cluster'>): readonly (typeof ADDON_MANIFESTS)[number][] {
  return ADDON_MANIFESTS.filter((id) => (id === 'flannel' ? inv.cluster.cni === 'flannel' : inv.cluster.coredns));
}

/** The add-on manifests of the plan that the inventory enables; a missing one is a renderer bug. */
export function addonManifests(manifests: readonly ClusterManifest[], inv: Pick<Inventory, 'cluster'>): readonly ClusterManifest[] {
  return enabledAddons(inv).map((id) => {
    const m = manifests.find((x) => x.id === id);
    if (!m) throw new InternalError(`the plan has no ${id} manifest (render/cluster-manifests.ts renders it)`);
    return m;
  });
}

/** Applies flannel then CoreDNS, those enabled (Namespace, ServiceAccount, RBAC, ConfigMap, DaemonSet, Deployment, Service). */
export function applyAddons(client: KubeClient, plan: Pick<ClusterPlan, 'manifests' | 'inventory'>): Promise<readonly AppliedObject[]> {
  return applyManifests(client, addonManifests(plan.manifests, plan.inventory));
}

/** One node's readiness as the API reports it. */
export interface NodeReadiness {
  readonly name: string;
  readonly ready: boolean;
  /** "not registered", or the Ready condition's reason and message ("KubeletNotReady: container runtime network not ready: ..."). */
  readonly reason?: string;
}

/**
 * True when the node is NotReady only because it has no pod network (the kubelet's
 * "container runtime network not ready: ... cni plugin not initialized"): the expected state with
 * `cluster.cni: none` until the operator installs a CNI.
 */
export function waitsForCni(n: NodeReadiness): boolean {
  return !n.ready && /network not ready|NetworkPluginNotReady|cni plugin not initialized/i.test(n.reason ?? '');
}

/** What waitForNodesReady saw last. */
export interface NodesReadyResult {
  readonly allReady: boolean;
  readonly nodes: readonly NodeReadiness[];
  readonly polls: number;
}

/** Polling settings; `clock` measures the deadline. */
export interface WaitOptions {
  readonly clock: Clock;
  /** @default 2000 */
  readonly pollMs?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told after each poll (progress output). */
  readonly onPoll?: (nodes: readonly NodeReadiness[]) => void;
}

interface NodeObject extends KubeObject {
  readonly status?: { readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }> };
}

/** Readiness of each named node from one Node list. */
export function readiness(names: readonly string[], nodes: readonly NodeObject[]): readonly NodeReadiness[] {
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  return names.map((name) => {
    const node = byName.get(name);
    if (!node) return { name, ready: false, reason: 'not registered' };
    const c = node.status?.conditions?.find((x) => x.type === 'Ready');
    if (c?.status === 'True') return { name, ready: true };
    const why = [c?.reason, c?.message].filter(Boolean).join(': ');
    return { name, ready: false, reason: why || `Ready=${c?.status ?? 'unknown'}` };
  });
}

/**
 * Polls the Node list until every named node is Ready or the deadline passes; returns what it saw
 * last either way (the caller turns stragglers into per-host failures). Throws Interrupted on abort.
 */
export async function waitForNodesReady(client: KubeClient, names: readonly string[], deadline: Date, signal: AbortSignal | undefined, o: WaitOptions): Promise<NodesReadyResult> {
  const sleep = o.sleep ?? abortableSleep;
  for (let polls = 1; ; polls += 1) {
    const nodes = readiness(names, await client.list<NodeObject>('/api/v1/nodes'));
    o.onPoll?.(nodes);
    const allReady = nodes.every((n) => n.ready);
    const pollMs = o.pollMs ?? 2000;
    if (allReady || o.clock.now().getTime() + pollMs > deadline.getTime()) return { allReady, nodes, polls };
    try {
      await sleep(pollMs, signal);
    } catch (err) {
      throw new Interrupted(`interrupted while waiting for nodes to become Ready (${nodes.filter((n) => !n.ready).map((n) => n.name).join(', ')})`, { cause: err });
    }
  }
}

/** One image tarball to import on a host. */
export interface ImageImportStep {
  /** "registry.k8s.io/pause:3.9" as the manifests and containerd's sandbox_image name it. */
  readonly image: string;
  /** The tarball in the bundle (whole file: member equals bundleFile, as for runc). */
  readonly source: BinarySource;
  /** Where the tarball is copied on the host before import. */
  readonly remotePath: string;
}

/**
 * The bundle file name of an image: "<last path segment>_<tag>.tar", e.g. "pause_3.9.tar",
 * "coredns_v1.11.3.tar" (`ctr images export` / `docker save` output, with its checksum in SHA256SUMS).
 */
export function imageTarball(image: string): string {
  const at = image.lastIndexOf(':');
  const slash = image.lastIndexOf('/');
  const [repo, tag] = at > slash ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
  return `${repo.slice(repo.lastIndexOf('/') + 1)}_${tag}.tar`;
}

/** Images every node's containerd needs: the sandbox (pause) image, flannel's two and CoreDNS when enabled. */
export function nodeImages(inv: Pick<Inventory, 'cluster' | 'containerd'>): readonly string[] {
  const addons = enabledAddons(inv);
  return [
    inv.containerd.sandboxImage,
    ...(addons.includes('flannel') ? [ADDON_IMAGES.flannelCniPlugin, ADDON_IMAGES.flannel] : []),
    ...(addons.includes('coredns') ? [ADDON_IMAGES.coredns] : []),
  ];
}

/** The import steps for `host` (none for hosts without containerd: etcd-only and load-balancer hosts). */
export function imageImportSteps(plan: Pick<ClusterPlan, 'inventory'>, host: InventoryHost): readonly ImageImportStep[] {
  if (!host.roles.includes('control-plane') && !host.roles.includes('worker')) return [];
  const inv = plan.inventory;
  const dir = `${inv.paths.kubernetes.replace(/\/+$/, '')}/images`;
  return nodeImages(inv).map((image) => {
    const file = imageTarball(image);
    return { image, source: { bundleFile: file, member: file }, remotePath: `${dir}/${file}` };
  });
}

/**
 * `check` exits 0 only when containerd's k8s.io namespace has every image; `import` imports each
 * one it lacks from its tarball, unpacked for the snapshotter the CRI uses (native inside
 * containers, overlayfs otherwise), and names it on stderr. One `ctr images ls` answers for all
 * images: a `ctr` process costs ~50 ms of a busy host's CPU, and asking per image was four of them
 * on every re-apply of every node.
 */
const IMAGES_SH =
  'mode=$1 ctr=$2 sock=$3 snap=$4; shift 4; ' +
  'have=$("$ctr" --address "$sock" -n k8s.io images ls -q) || exit 1; ' +
  // One line per name; image references hold no blanks, so " name " finds one (no glob: set -f).
  "set -f; have=\" $(printf '%s ' $have)\"; set +f; " +
  'while [ $# -gt 1 ]; do img=$1 file=$2; shift 2; ' +
  'case "$have" in *" $img "*) continue ;; esac; ' +
  '[ "$mode" = import ] || exit 1; ' +
  'echo "importing $img from $file" >&2; ' +
  '"$ctr" --address "$sock" -n k8s.io images import --snapshotter "$snap" "$file" || exit 1; ' +
  'done';

/** The command of IMAGES_SH for `steps` (imageImportSteps of one host). */
export function imagesArgv(inv: Inventory, steps: readonly ImageImportStep[], mode: 'check' | 'import'): readonly string[] {
  const layout = remoteLayout(inv);
  return ['sh', '-c', IMAGES_SH, 'sh', mode, `${layout.containerdBin}/ctr`, layout.containerdSocket, inv.containerd.snapshotter, ...steps.flatMap((s) => [s.image, s.remotePath])];
}
