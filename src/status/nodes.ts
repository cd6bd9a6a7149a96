/**
 * The nodes section: every registered Node and every inventory node, like `kubectl get nodes`,
 * with the conditions that make a node unhealthy (Ready not True; MemoryPressure, DiskPressure,
 * PIDPressure or NetworkUnavailable True) and what differs from the inventory.
 */
import { nodeHosts, type Inventory } from '../inventory/types.js';
import type { KubeClient } from '../kube/client.js';
import { humanDuration } from '../kube/csr-table.js';
import type { KubeObject } from '../kube/types.js';
import type { NodeRow } from './types.js';

/** Conditions that are bad when True (k8s.io/api/core/v1 NodeConditionType). */
export const PRESSURE_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] as const;

/** The Node fields read here. */
export interface NodeObject extends KubeObject {
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: {
    readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly message?: string }>;
    readonly nodeInfo?: { readonly kubeletVersion?: string };
    readonly addresses?: ReadonlyArray<{ readonly type: string; readonly address: string }>;
  };
}

const ROLE_LABEL = 'node-role.kubernetes.io/';

/** One row; `node` undefined means the inventory names it but it never registered. */
export function nodeRow(inventory: Inventory, name: string, node: NodeObject | undefined, now: Date): NodeRow {
  const host = inventory.hosts.find((h) => h.name === name);
  const labelRoles = Object.keys(node?.metadata.labels ?? {}).filter((l) => l.startsWith(ROLE_LABEL)).map((l) => l.slice(ROLE_LABEL.length));
  const roles = host ? host.roles.join(',') : labelRoles.join(',') || '<none>';
  const inInventory = host !== undefined;
  if (!node) {
    return { name, status: 'missing', roles, version: '-', internalIP: '-', age: '-', conditions: [], inInventory, problem: 'not registered: check the kubelet on the host (`journalctl -u kubelet`)' };
  }
  const conds = node.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready')?.status;
  const bad = conds.filter((c) => c.status === 'True' && (PRESSURE_CONDITIONS as readonly string[]).includes(c.type)).map((c) => c.type);
  const status = `${ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown'}${node.spec?.unschedulable ? ',SchedulingDisabled' : ''}`;
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '<none>';
  const created = Date.parse(node.metadata.creationTimestamp ?? '');
  const problem = !host
    ? 'not in the inventory'
    : ip !== host.internalIP
      ? `InternalIP ${ip}, the inventory says ${host.internalIP}`
      : ready !== 'True'
        ? 'not Ready: check the kubelet and the network plugin on the host'
        : bad.length > 0
          ? `${bad.join(', ')}: see \`kubectl describe node ${name}\``
          : undefined;
  return {
    name,
    status,
    roles,
    version: node.status?.nodeInfo?.kubeletVersion ?? '<unknown>',
    internalIP: ip,
    age: Number.isNaN(created) ? '<unknown>' : humanDuration((now.getTime() - created) / 1000),
    conditions: bad,
    inInventory,
    ...(problem === undefined ? {} : { problem }),
  };
}

/** Inventory nodes first (inventory order), then registered nodes the inventory does not name. */
export async function collectNodes(client: KubeClient, inventory: Inventory, now: Date): Promise<readonly NodeRow[]> {
  const nodes = await client.list<NodeObject>('/api/v1/nodes');
  const names = [...new Set([...nodeHosts(inventory).map((h) => h.name), ...nodes.map((n) => n.metadata.name)])];
  return names.map((n) => nodeRow(inventory, n, nodes.find((o) => o.metadata.name === n), now));
}
