/**
 * What `pki check --remote` and `status` compare hosts with: the plan built from the PKI state as
 * stored (state/pki-inspect reads without writing, bundleFromState issues and renews nothing), its
 * per-host certificate targets, and the state's CA certificates that name signers.
 */
import type { Inventory } from '../inventory/types.js';
import { buildPlan } from '../plan/build-plan.js';
import { bundleFromState } from '../pki/remote/state-bundle.js';
import { remoteTargets, type HostTargets } from '../pki/remote/targets.js';
import { certSpecs } from '../pki/specs.js';
import { loadCatalogue } from '../state/load-catalogue.js';
import { loadTemplates } from '../state/load-templates.js';
import { inspectPkiState } from '../state/pki-inspect.js';
import { pkiStateDir } from '../state/pki-store.js';

/** Targets of the hosts in `limit` (every host when absent), the CAs, and state-level problems. */
export interface RemoteCertPlan {
  readonly targets: readonly HostTargets[];
  /** state id -> PEM of each CA certificate. */
  readonly cas: ReadonlyMap<string, string>;
  /** Problems of the state directory itself (permissions, an interrupted save). */
  readonly notes: readonly string[];
}

/** Reads the state and plans; throws a PkiError when the state lacks a certificate the plan needs. */
export function remoteCertPlan(inv: Inventory, limit?: readonly string[]): RemoteCertPlan {
  // Read-only on purpose, as `pki check`: loadPkiState would finish an interrupted save.
  const { state, notes } = inspectPkiState(pkiStateDir(inv));
  const catalogue = loadCatalogue();
  const bundle = bundleFromState(inv, catalogue, state);
  const plan = buildPlan({ inventory: inv, pki: bundle, pkiDecisions: [], templates: loadTemplates() });
  const cas = new Map<string, string>();
  for (const s of certSpecs(catalogue, inv)) {
    const pem = s.kind === 'ca' ? bundle.certs.get(s.id)?.certPem : undefined;
    if (pem !== undefined) cas.set(s.id, pem);
  }
  return { targets: remoteTargets(plan, limit), cas, notes };
}
