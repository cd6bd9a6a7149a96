/**
 * Everything `render` and `plan` need, loaded: inventory, PKI (decided, never saved), templates,
 * and the built plan. Render and plan compute certificate decisions but persist no key material
 * (architecture.md §4.4): with an empty state the PKI is issued in memory only, and says so.
 */
import type { Inventory } from '../inventory/types.js';
import { buildPlan } from '../plan/build-plan.js';
import type { ClusterPlan } from '../plan/types.js';
import { createEngine } from '../render/engine.js';
import { planNotices } from '../render/notices.js';
import { operatorFiles, type OperatorFile } from '../render/operator-files.js';
import type { InventoryIssue } from '../shared/errors.js';
import { PkiError } from '../shared/errors.js';
import { loadInventory } from './load-inventory.js';
import { loadTemplates } from './load-templates.js';
import { readBundleListing } from './bundle-listing.js';
import { bundleDir, stateDir } from './paths.js';
import { generatePki } from './pki-flow.js';
import { loadPkiState, pkiStateDir } from './pki-store.js';

/** A loaded, planned cluster. */
export interface PreparedPlan {
  readonly inventory: Inventory;
  readonly warnings: readonly InventoryIssue[];
  readonly plan: ClusterPlan;
  readonly operator: readonly OperatorFile[];
  readonly notices: readonly string[];
  readonly stateDir: string;
  /** True when the state held no PKI and the rendered credentials are throw-away. */
  readonly ephemeralPki: boolean;
}

/** Loads `file` (relative to `cwd`) and builds its plan without writing anything. */
export async function preparePlan(file: string, cwd: string): Promise<PreparedPlan> {
  const { inventory, warnings } = await loadInventory(file, cwd);
  const dir = pkiStateDir(inventory);
  const ephemeralPki = loadPkiState(dir).pairs.size === 0;
  const pki = await generatePki(inventory, dir, { persist: false });
  if (pki.blocked.length > 0) {
    throw new PkiError(`${pki.blocked.length} certificate(s) need a CA key that is not in ${dir} (keyless mode)`, {
      detail: pki.blocked.map((d) => `${d.id}: ${d.reason}`),
      hint: 'issue them with the offline CA key first (`kubesmith pki generate` with the key present), then render again',
    });
  }
  const templates = loadTemplates();
  const engine = createEngine(templates);
  const plan = buildPlan({ inventory, pki: pki.bundle, pkiDecisions: pki.decisions, templates, engine, bundle: readBundleListing(bundleDir(inventory)) });
  return {
    inventory,
    warnings,
    plan,
    operator: operatorFiles(inventory, pki.bundle, engine),
    notices: planNotices(inventory, pki.decisions, { ephemeralPki }),
    stateDir: stateDir(inventory),
    ephemeralPki,
  };
}
