/**
 * The cordon of a Kubernetes upgrade (#10 part 3): apply cordons and drains a node before its
 * kubelet is replaced and uncordons it once the Node is Ready on the new version. The cordon it
 * made carries UPGRADE_CORDON (set in the cordon's own write, kube/drain.ts), so kubesmith only
 * ever uncordons a node it cordoned itself: one the operator had cordoned stays cordoned, and one
 * left cordoned by an interrupted upgrade is found and released by the next apply.
 */
import type { KubeClient } from './client.js';
import { editNode } from './drain.js';

/** Annotation on a Node apply cordoned for an upgrade; its value is the version being installed. */
export const UPGRADE_CORDON = 'kubesmith.io/upgrade-cordon';

interface NodeLike {
  readonly metadata: { readonly name: string; readonly annotations?: Readonly<Record<string, string>> } & Record<string, unknown>;
  readonly spec?: { readonly unschedulable?: boolean } & Record<string, unknown>;
  readonly status?: {
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly message?: string }[];
    readonly nodeInfo?: { readonly kubeletVersion?: string };
  };
}

const NODES = '/api/v1/nodes';

/** Why `node` is not yet Ready on kubelet `version`, or undefined when it is. */
export async function notReadyOn(client: KubeClient, node: string, version: string): Promise<string | undefined> {
  const live = await client.get<NodeLike>(`${NODES}/${encodeURIComponent(node)}`);
  if (live === undefined) return `node ${node} does not exist in the API`;
  const ready = live.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return `node ${node} is not Ready${ready?.message ? ` (${ready.message})` : ''}`;
  const running = live.status?.nodeInfo?.kubeletVersion;
  return running === version ? undefined : `node ${node} reports kubelet ${running ?? 'of no version'}, not ${version}`;
}

/** Uncordons `node` when apply's upgrade cordoned it (the annotation goes in the same write); false when it did not. */
export function releaseUpgradeCordon(client: KubeClient, node: string): Promise<boolean> {
  return editNode(client, node, (live) => {
    const annotations = live.metadata.annotations;
    if (annotations?.[UPGRADE_CORDON] === undefined) return undefined;
    const rest = Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== UPGRADE_CORDON));
    return { ...live, metadata: { ...live.metadata, annotations: rest }, spec: { ...live.spec, unschedulable: false } };
  });
}

/** The nodes apply's upgrade left cordoned (an interrupted run), with the version each was cordoned for. */
export async function upgradeCordoned(client: KubeClient): Promise<readonly { readonly node: string; readonly version: string }[]> {
  const nodes = await client.list<NodeLike>(NODES);
  return nodes.flatMap((n) => {
    const v = n.metadata.annotations?.[UPGRADE_CORDON];
    return v === undefined ? [] : [{ node: n.metadata.name, version: v }];
  });
}
