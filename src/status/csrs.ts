/**
 * The CSR section: CertificateSigningRequests still waiting for a decision, each with what
 * `kubesmith approve` would do and why (decideCsr, the same judge approve uses). Read-only.
 */
import type { Inventory } from '../inventory/types.js';
import type { KubeClient } from '../kube/client.js';
import { listCsrs, toCsrObject } from '../kube/csr-api.js';
import { csrRow } from '../kube/csr-table.js';
import { decideCsr } from '../pki/csr.js';
import type { CsrSection } from './types.js';

/** Pending CSRs (decision not "done"), sorted by name, with counts. */
export async function collectCsrs(client: KubeClient, inventory: Inventory, tokenIds: readonly string[], now: Date): Promise<CsrSection> {
  const ctx = {
    inventory,
    maxExpirationSeconds: inventory.pki.csrMaxExpirationDays * 86_400,
    ...(tokenIds.length > 0 ? { bootstrapTokenIds: tokenIds } : {}),
  };
  const rows = [];
  for (const csr of await listCsrs(client)) {
    const d = await decideCsr(toCsrObject(csr), ctx);
    if (d.decision !== 'done') rows.push(csrRow(csr, d, now));
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  return {
    pending: rows.length,
    approvable: rows.filter((r) => r.decision === 'approve').length,
    leftForHuman: rows.filter((r) => r.decision === 'ignore' && r.kind !== 'other').length,
    rows,
  };
}
