/**
 * The `approve` loop: list CSRs, judge each with decideCsr, approve or deny through the API, and
 * (with watch) repeat until every inventory node has an issued client and serving certificate.
 * Pure apart from the injected client, clock and sleep.
 */
import { nodeHosts, type Inventory } from '../inventory/types.js';
import { decideCsr, nodesByName } from '../pki/csr.js';
import type { Clock } from '../shared/clock.js';
import { abortableSleep, type KubeClient } from './client.js';
import { listCsrs, setCsrCondition, toCsrObject } from './csr-api.js';
import { csrRow, type CsrRow } from './csr-table.js';
import type { KubeObject } from './types.js';

/** What `kubesmith approve` was asked to do. */
export interface ApproveOptions {
  readonly client: KubeClient;
  readonly inventory: Inventory;
  readonly clock: Clock;
  /** Token ids kubesmith issued; bootstrap CSRs with other tokens are left alone. */
  readonly bootstrapTokenIds?: readonly string[];
  readonly denyUnknown: boolean;
  readonly watch: boolean;
  /** With watch: give up after this long. */
  readonly timeoutMs: number;
  /** With watch: pause between rounds. @default 3000 */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called after each round (for progress output). */
  readonly onRound?: (round: ApproveRound) => void;
}

/** Which certificates a node still lacks. */
export interface NodeCertStatus {
  readonly node: string;
  readonly client: boolean;
  readonly serving: boolean;
}

/** One pass over the CSRs. */
export interface ApproveRound {
  readonly rows: readonly CsrRow[];
  readonly nodes: readonly NodeCertStatus[];
  /** Rows this round acted on (approved/denied). */
  readonly acted: number;
}

/** The end state: complete when every node has both certificates. */
export interface ApproveOutcome {
  readonly rounds: number;
  readonly last: ApproveRound;
  readonly complete: boolean;
  readonly timedOut: boolean;
}

/** One round: list, decide, act. */
export async function approveRound(o: ApproveOptions): Promise<ApproveRound> {
  const ctx = {
    inventory: o.inventory,
    maxExpirationSeconds: o.inventory.pki.csrMaxExpirationDays * 86_400,
    denyUnknown: o.denyUnknown,
    nodes: nodesByName(o.inventory),
    ...(o.bootstrapTokenIds ? { bootstrapTokenIds: o.bootstrapTokenIds } : {}),
  };
  const rows: CsrRow[] = [];
  let acted = 0;
  for (const csr of await listCsrs(o.client)) {
    const d = await decideCsr(toCsrObject(csr), ctx);
    let action: CsrRow['action'];
    if (d.decision === 'approve' || d.decision === 'deny') {
      const type = d.decision === 'approve' ? 'Approved' : 'Denied';
      const res = await setCsrCondition(o.client, csr, type, `kubesmith: ${d.reason}`, o.clock.now());
      action = res === 'updated' ? (type === 'Approved' ? 'approved' : 'denied') : res === 'conflict' ? 'conflict' : undefined;
      if (res === 'updated') acted += 1;
    }
    rows.push(csrRow(csr, d, o.clock.now(), action));
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const registered = new Set((await o.client.list<KubeObject>('/api/v1/nodes')).map((n) => n.metadata.name));
  return { rows, acted, nodes: nodeStatus(o.inventory, rows, registered) };
}

/**
 * A node has its client certificate once a client CSR for it was issued or it registered its Node
 * object (only possible with a client cert; CSRs are garbage-collected an hour after issue), and its
 * serving certificate once a serving CSR for it was issued.
 */
export function nodeStatus(inventory: Inventory, rows: readonly CsrRow[], registered: ReadonlySet<string>): NodeCertStatus[] {
  // One pass over the rows (two or more per node), not one per node: that was quadratic per round.
  const done = new Set(rows.filter((r) => r.node !== undefined && r.condition.split(',').includes('Issued')).map((r) => `${r.kind} ${r.node}`));
  const issued = (node: string, kind: CsrRow['kind']): boolean => done.has(`${kind} ${node}`);
  return nodeHosts(inventory).map((h) => ({
    node: h.name,
    client: issued(h.name, 'client') || registered.has(h.name),
    serving: issued(h.name, 'serving'),
  }));
}

/** Runs one round, or rounds until complete / timeout (watch). */
export async function approveCsrs(o: ApproveOptions): Promise<ApproveOutcome> {
  const sleep = o.sleep ?? abortableSleep;
  const start = o.clock.now().getTime();
  for (let n = 1; ; n += 1) {
    const round = await approveRound(o);
    o.onRound?.(round);
    const complete = round.nodes.every((s) => s.client && s.serving);
    if (!o.watch || complete) return { rounds: n, last: round, complete, timedOut: false };
    const pause = o.pollMs ?? 3000;
    if (o.clock.now().getTime() + pause - start > o.timeoutMs) return { rounds: n, last: round, complete, timedOut: true };
    // Approved CSRs need a moment for the signer; a quick re-list then shows them Issued.
    await sleep(round.acted > 0 ? Math.min(pause, 500) : pause, o.signal);
  }
}
