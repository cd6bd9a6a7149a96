/**
 * The CSR approval at fleet size: each round's node status, the Node readiness and the node lookup
 * of each CSR are linear in nodes. Asserted by counting what they read (no timing): a lookup per
 * node over every row or Node made them quadratic (5,000 nodes: 50 million row reads per round).
 */
import { describe, expect, it } from 'vitest';
import { nodeStatus } from '../../src/kube/approve-csrs.js';
import { readiness } from '../../src/kube/addons.js';
import type { CsrRow } from '../../src/kube/csr-table.js';
import { decideCsr, nodesByName } from '../../src/pki/csr.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { bootstrapClientCsr } from '../support/kubelet-csr.js';

const N = 5000;
const inventory = exampleInventory({ hosts: Array.from({ length: N }, (_, i) => aHost(`node${i}`, `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, ['worker'])) });

/** `items` behind a proxy that counts reads of its elements. */
function counted<T>(items: readonly T[]): { list: readonly T[]; reads: () => number } {
  let reads = 0;
  const list = new Proxy(items as T[], { get: (t, k, r) => (typeof k === 'string' && /^\d+$/.test(k) && (reads += 1), Reflect.get(t, k, r)) });
  return { list, reads: () => reads };
}

describe('approval at 5,000 nodes', () => {
  it('node status reads each CSR row a bounded number of times', () => {
    const rows = counted(inventory.hosts.flatMap((h, i) => (['client', 'serving'] as const).map((kind) => ({ node: h.name, kind, condition: i % 7 === 0 ? 'Approved' : 'Approved,Issued' }) as unknown as CsrRow)));
    const status = nodeStatus(inventory, rows.list, new Set(['node0']));
    expect(rows.reads()).toBeLessThan(4 * rows.list.length);
    expect(status.filter((s) => s.client && s.serving)).toHaveLength(N - Math.ceil(N / 7));
    expect(status[0]).toEqual({ node: 'node0', client: true, serving: false });
  });

  it('readiness reads each Node a bounded number of times', () => {
    const nodes = counted(inventory.hosts.map((h, i) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: h.name }, status: { conditions: [{ type: 'Ready', status: i === 3 ? 'False' : 'True' }] } })));
    const r = readiness(inventory.hosts.map((h) => h.name), nodes.list);
    expect(nodes.reads()).toBeLessThan(4 * N);
    expect(r.filter((x) => !x.ready).map((x) => x.name)).toEqual(['node3']);
  });

  it('a CSR finds its node in the index, without a scan of the inventory', async () => {
    const nodes = nodesByName(inventory);
    const noScan = { ...inventory, get hosts(): never { throw new Error('scanned the inventory'); } };
    const csr = await bootstrapClientCsr('node4711', 'abcdef');
    const d = await decideCsr(csr, { inventory: noScan, nodes, maxExpirationSeconds: 365 * 86400, bootstrapTokenIds: ['abcdef'] });
    expect(d.decision).toBe('approve');
  });
});
