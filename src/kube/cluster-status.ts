/**
 * `kubesmith status`: the apiserver's health and version, every node compared with the inventory,
 * kubelet CSRs still pending (and whether `approve` would take them), and the bootstrap token's
 * expiry. Gathering goes through the injected client; formatting is pure.
 */
import { nodeHosts, type Inventory } from '../inventory/types.js';
import { decideCsr } from '../pki/csr.js';
import { rfc3339 } from '../pki/bootstrap-token.js';
import type { BootstrapToken } from '../pki/types.js';
import type { KubeClient } from './client.js';
import { listCsrs, toCsrObject } from './csr-api.js';
import { formatColumns, humanDuration } from './csr-table.js';
import type { KubeObject } from './types.js';

/** One node: registered and/or in the inventory. */
export interface NodeRow {
  readonly name: string;
  /** Ready, NotReady, Unknown (kubectl's STATUS), or "missing" when not registered. */
  readonly status: string;
  readonly roles: string;
  readonly version: string;
  readonly internalIP: string;
  readonly age: string;
  /** What is wrong, if anything. */
  readonly problem?: string;
}

/** Everything `status` reports. */
export interface ClusterStatus {
  readonly endpoint: string;
  readonly identity: string;
  readonly version: string;
  readonly readyz: { readonly ok: boolean; readonly detail: string };
  readonly nodes: readonly NodeRow[];
  readonly csrs: { readonly pending: number; readonly approvable: number; readonly leftForHuman: number };
  readonly token?: { readonly id: string; readonly expires: string; readonly expired: boolean };
  /** readyz ok and every inventory node registered and Ready. */
  readonly healthy: boolean;
}

interface NodeObject extends KubeObject {
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: {
    readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string }>;
    readonly nodeInfo?: { readonly kubeletVersion?: string };
    readonly addresses?: ReadonlyArray<{ readonly type: string; readonly address: string }>;
  };
}

function nodeRow(inventory: Inventory, node: NodeObject | undefined, name: string, now: Date): NodeRow {
  const host = inventory.hosts.find((h) => h.name === name);
  const roles = host
    ? host.roles.join(',')
    : Object.keys(node?.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice(24)).join(',') || '<none>';
  if (!node) {
    return { name, status: 'missing', roles, version: '-', internalIP: '-', age: '-', problem: 'not registered: check the kubelet on the host (`journalctl -u kubelet`)' };
  }
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const status = `${ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown'}${node.spec?.unschedulable ? ',SchedulingDisabled' : ''}`;
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '<none>';
  const created = Date.parse(node.metadata.creationTimestamp ?? '');
  const problem = !host
    ? 'not in the inventory'
    : ip !== host.internalIP
      ? `InternalIP ${ip}, the inventory says ${host.internalIP}`
      : ready !== 'True'
        ? 'not Ready: check the kubelet and the network plugin on the host'
        : undefined;
  return {
    name,
    status,
    roles,
    version: node.status?.nodeInfo?.kubeletVersion ?? '<unknown>',
    internalIP: ip,
    age: Number.isNaN(created) ? '<unknown>' : humanDuration((now.getTime() - created) / 1000),
    ...(problem === undefined ? {} : { problem }),
  };
}

/** Asks the apiserver; a failing /readyz is reported, not thrown. */
export async function gatherStatus(client: KubeClient, inventory: Inventory, token: BootstrapToken | undefined, now: Date): Promise<ClusterStatus> {
  // /version first: it retries while the apiserver comes up; /readyz is then asked once, as is.
  const version = (await client.call<{ gitVersion?: string }>('GET', '/version')).gitVersion ?? '<unknown>';
  const readyz = await client.probe('/readyz');
  const nodes = await client.list<NodeObject>('/api/v1/nodes');
  const names = [...nodeHosts(inventory).map((h) => h.name), ...nodes.map((n) => n.metadata.name)];
  const rows = [...new Set(names)].map((n) => nodeRow(inventory, nodes.find((o) => o.metadata.name === n), n, now));
  const ctx = {
    inventory,
    maxExpirationSeconds: inventory.pki.csrMaxExpirationDays * 86_400,
    ...(token ? { bootstrapTokenIds: [token.id] } : {}),
  };
  const decisions = await Promise.all((await listCsrs(client)).map((c) => decideCsr(toCsrObject(c), ctx)));
  const pending = decisions.filter((d) => d.decision !== 'done');
  const inventoryReady = rows.filter((r) => inventory.hosts.some((h) => h.name === r.name)).every((r) => r.status.startsWith('Ready'));
  return {
    endpoint: client.endpoint,
    identity: client.identity,
    version,
    readyz: { ok: readyz.status === 200, detail: readyz.body.trim().split('\n').slice(-1)[0] ?? '' },
    nodes: rows,
    csrs: {
      pending: pending.length,
      approvable: pending.filter((d) => d.decision === 'approve').length,
      leftForHuman: pending.filter((d) => d.decision === 'ignore' && d.kind !== 'other').length,
    },
    ...(token ? { token: { id: token.id, expires: rfc3339(token.expires), expired: token.expires.getTime() <= now.getTime() } } : {}),
    healthy: readyz.status === 200 && inventoryReady,
  };
}

/** Human-readable report. */
export function formatStatus(s: ClusterStatus, now: Date): string {
  const lines = [
    `API:    ${s.endpoint} as ${s.identity}: ${s.version}, readyz ${s.readyz.ok ? 'ok' : `FAILED (${s.readyz.detail})`}`,
    '',
    formatColumns(
      ['NAME', 'STATUS', 'ROLES', 'VERSION', 'INTERNAL-IP', 'AGE', 'PROBLEM'],
      s.nodes.map((n) => [n.name, n.status, n.roles, n.version, n.internalIP, n.age, n.problem ?? '']),
    ).trimEnd(),
    '',
    `CSRs:   ${s.csrs.pending} pending${s.csrs.pending === 0 ? '' : `: ${s.csrs.approvable} kubesmith would approve (run \`kubesmith approve\`), ${s.csrs.leftForHuman} left for a human`}`,
  ];
  if (s.token) {
    const left = (Date.parse(s.token.expires) - now.getTime()) / 1000;
    lines.push(`Token:  ${s.token.id} ${s.token.expired ? `expired at ${s.token.expires} (\`kubesmith apply\` issues a new one)` : `expires ${s.token.expires} (in ${humanDuration(left)})`}`);
  }
  const ready = s.nodes.filter((n) => n.status.startsWith('Ready')).length;
  lines.push(`${s.healthy ? 'healthy' : 'NOT healthy'}: ${ready}/${s.nodes.length} nodes Ready`);
  return `${lines.join('\n')}\n`;
}
