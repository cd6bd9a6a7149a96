/**
 * Cordon and drain one node through the API, with the rules of `kubectl drain --ignore-daemonsets`:
 * pods are evicted (the Eviction API, so PodDisruptionBudgets are respected: a refused eviction is
 * retried until the timeout), never deleted; DaemonSet pods and static pods stay (they cannot move);
 * a pod no controller would recreate, or one whose emptyDir data would be lost, is refused before
 * anything changes unless the operator said so (--force, --delete-emptydir-data).
 * Which pods go is decided purely (drainPick); the calls are in drainNode.
 */
import { abortableSleep, type KubeClient } from './client.js';
import type { Clock } from '../shared/clock.js';
import type { ApiResponse } from './types.js';

/** The parts of a Pod the decision reads. */
export interface PodLike {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly { readonly kind: string; readonly name: string; readonly controller?: boolean }[];
    readonly deletionTimestamp?: string;
  };
  readonly spec?: { readonly volumes?: readonly { readonly name: string; readonly emptyDir?: unknown }[] };
  readonly status?: { readonly phase?: string };
}

/** What the operator allowed beyond kubectl's defaults. */
export interface DrainRules {
  /** Evict pods no controller manages (they are gone for good). */
  readonly force: boolean;
  /** Evict pods with emptyDir volumes (their data is lost). */
  readonly deleteEmptyDirData: boolean;
}

/** One pod and what happens to it. */
export interface PodVerdict {
  readonly pod: string;
  readonly why: string;
}

export interface DrainPick {
  readonly evict: readonly PodLike[];
  readonly stay: readonly PodVerdict[];
  readonly refused: readonly PodVerdict[];
}

const podName = (p: PodLike): string => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;

/** Which pods of a node are evicted, which stay and which stop the drain (pure). */
export function drainPick(pods: readonly PodLike[], rules: DrainRules): DrainPick {
  const evict: PodLike[] = [];
  const stay: PodVerdict[] = [];
  const refused: PodVerdict[] = [];
  for (const p of pods) {
    const finished = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    const controller = p.metadata.ownerReferences?.find((o) => o.controller === true);
    const emptyDirs = (p.spec?.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name);
    if (p.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) stay.push({ pod: podName(p), why: 'static pod (its manifest is on the node)' });
    else if (controller?.kind === 'DaemonSet') stay.push({ pod: podName(p), why: `managed by DaemonSet ${controller.name}` });
    else if (finished) evict.push(p);
    else if (controller === undefined && !rules.force) refused.push({ pod: podName(p), why: 'no controller manages it: evicted, it is gone for good (--force evicts it anyway)' });
    else if (emptyDirs.length > 0 && !rules.deleteEmptyDirData) refused.push({ pod: podName(p), why: `its emptyDir volume${emptyDirs.length === 1 ? '' : 's'} ${emptyDirs.join(', ')} would be lost (--delete-emptydir-data evicts it anyway)` });
    else evict.push(p);
  }
  return { evict, stay, refused };
}

export interface DrainOptions extends DrainRules {
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** Pause between eviction attempts and deletion polls. @default 2000 */
  readonly pollMs?: number;
  /**
   * The node's kubelet is gone (host unreachable or stopped): an evicted pod only gets a deletion
   * mark that no kubelet will act on, so the mark counts as done (the pod is cleaned up with the Node).
   */
  readonly kubeletGone?: boolean;
  /** Set on the Node in the cordon's own write, when this drain is the one that cordons it (an upgrade marks its cordon). */
  readonly cordonAnnotations?: Readonly<Record<string, string>>;
}

export type DrainOutcome =
  | { readonly ok: true; readonly cordoned: boolean; readonly evicted: readonly string[]; readonly stay: readonly PodVerdict[]; readonly refusals: Readonly<Record<string, number>> }
  | { readonly ok: false; readonly cordoned: boolean; readonly error: string; readonly evicted: readonly string[] };

const NODES = '/api/v1/nodes';
const podPath = (p: PodLike): string => `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace ?? 'default')}/pods/${encodeURIComponent(p.metadata.name)}`;

/** A Node as the edits below read and write it (every other field goes back as it came). */
export interface NodeDoc {
  readonly metadata: { readonly annotations?: Readonly<Record<string, string>> } & Record<string, unknown>;
  readonly spec?: { readonly unschedulable?: boolean } & Record<string, unknown>;
}

/**
 * Rewrites the Node with `edit` (undefined: nothing to change, false returned, nothing written).
 * The write carries the read's resourceVersion; a conflicting one (the kubelet updates its Node
 * too) is read and edited again, up to 5 times.
 */
export async function editNode(client: KubeClient, node: string, edit: (live: NodeDoc) => NodeDoc | undefined): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    const live = await client.get<NodeDoc>(`${NODES}/${encodeURIComponent(node)}`);
    if (live === undefined) throw new Error(`node ${node} does not exist in the API`);
    const next = edit(live);
    if (next === undefined) return false;
    const res = await client.attempt('PUT', `${NODES}/${encodeURIComponent(node)}`, next, [409]);
    if (res.status !== 409) return true;
    if (attempt >= 5) throw new Error(`node ${node}: the write conflicted 5 times in a row`);
  }
}

/** Marks the node unschedulable, with `annotations` in the same write; false (and nothing written) when it already was. */
export function cordon(client: KubeClient, node: string, annotations: Readonly<Record<string, string>> = {}): Promise<boolean> {
  return editNode(client, node, (live) =>
    live.spec?.unschedulable === true
      ? undefined
      : {
          ...live,
          metadata: Object.keys(annotations).length === 0 ? live.metadata : { ...live.metadata, annotations: { ...live.metadata.annotations, ...annotations } },
          spec: { ...live.spec, unschedulable: true },
        },
  );
}

/** Cordon, then evict until every evictable pod is gone or the timeout passes. Nothing is evicted when a pod is refused. */
export async function drainNode(client: KubeClient, node: string, o: DrainOptions): Promise<DrainOutcome> {
  const pods = await client.list<PodLike>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
  const pick = drainPick(pods, o);
  if (pick.refused.length > 0) {
    return { ok: false, cordoned: false, evicted: [], error: `not draining ${node}: ${pick.refused.map((r) => `${r.pod}: ${r.why}`).join('; ')}` };
  }
  const cordoned = await cordon(client, node, o.cordonAnnotations);
  const deadline = o.clock.now().getTime() + o.timeoutMs;
  const pollMs = o.pollMs ?? 2000;
  const waiting = new Map(pick.evict.map((p) => [podName(p), { pod: p, asked: false, lastRefusal: '' }]));
  const refusals: Record<string, number> = {};
  const evicted: string[] = [];
  while (waiting.size > 0) {
    for (const [name, w] of waiting) {
      if (!w.asked) {
        const res = await client.once('POST', `${podPath(w.pod)}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: w.pod.metadata.name, namespace: w.pod.metadata.namespace ?? 'default' } });
        if (res.status === 429 || res.status >= 500) {
          w.lastRefusal = refusalText(res);
          refusals[name] = (refusals[name] ?? 0) + 1;
        }
        else if (res.status >= 300 && res.status !== 404) throw new Error(`evicting ${name}: HTTP ${res.status}: ${refusalText(res)}`);
        else w.asked = true;
        if (res.status === 404) { waiting.delete(name); evicted.push(name); continue; }
      }
      if (w.asked && (await gone(client, w.pod, o.kubeletGone === true))) {
        waiting.delete(name);
        evicted.push(name);
      }
    }
    if (waiting.size === 0) break;
    if (o.clock.now().getTime() + pollMs > deadline) {
      const left = [...waiting].map(([n, w]) => (w.asked ? `${n} (evicted, still terminating)` : `${n} (${w.lastRefusal || 'eviction refused'})`));
      return { ok: false, cordoned, evicted, error: `${node} not drained within ${Math.round(o.timeoutMs / 1000)} s: ${left.join('; ')}` };
    }
    await abortableSleep(pollMs, o.signal);
  }
  return { ok: true, cordoned, evicted, stay: pick.stay, refusals };
}

/** The pod is gone, or replaced by a new one of the same name, or (kubelet gone) marked for deletion. */
async function gone(client: KubeClient, pod: PodLike, kubeletGone: boolean): Promise<boolean> {
  const live = await client.get<PodLike>(podPath(pod));
  if (live === undefined || (pod.metadata.uid !== undefined && live.metadata.uid !== pod.metadata.uid)) return true;
  return kubeletGone && live.metadata.deletionTimestamp !== undefined;
}

/** The apiserver's reason for a refused eviction ("Cannot evict pod as it would violate the pod's disruption budget."). */
function refusalText(res: ApiResponse): string {
  try {
    const msg = (JSON.parse(res.body) as { message?: string }).message;
    return msg ? `eviction refused: ${msg}` : `eviction refused (HTTP ${res.status})`;
  } catch {
    return `eviction refused (HTTP ${res.status})`;
  }
}
