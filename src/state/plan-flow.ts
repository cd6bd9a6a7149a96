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
import { upgradeCheck } from '../plan/upgrade-path.js';
import { operatorFiles, type OperatorFile } from '../render/operator-files.js';
import type { InventoryIssue } from '../shared/errors.js';
import { blockedError, hasMaterial, keylessNotices } from '../pki/keyless.js';
import { rotationNotice } from '../pki/rotation-describe.js';
import { NodeClock } from './node-sources.js';
import type { PkiDecision } from '../pki/types.js';
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
  /** Certificates that need a CA key kept offline (keyless mode); non-empty only with `showBlocked`. */
  readonly blocked: readonly PkiDecision[];
}

/** Options of preparePlan. */
export interface PreparePlanOptions {
  /**
   * `plan` shows blocked decisions (keyless mode) in the plan when every blocked certificate still
   * has its issued pair to render from. Without it (render, anything that writes) a blocked
   * certificate refuses the command: nothing half-made leaves the machine.
   */
  readonly showBlocked?: boolean;
  /** The command, for the refusal's first line. */
  readonly command?: string;
}

/** Loads `file` (relative to `cwd`) and builds its plan without writing anything. */
export async function preparePlan(file: string, cwd: string, opts: PreparePlanOptions = {}): Promise<PreparedPlan> {
  const { inventory, warnings } = await loadInventory(file, cwd);
  const dir = pkiStateDir(inventory);
  const ephemeralPki = loadPkiState(dir).pairs.size === 0;
  const pki = await generatePki(inventory, dir, { persist: false });
  const renderable = pki.blocked.every((d) => hasMaterial(pki.bundle, d.id));
  if (pki.blocked.length > 0 && !(opts.showBlocked === true && renderable)) throw blockedError(opts.command ?? 'render', dir, pki.blocked, pki.bundle);
  const templates = loadTemplates();
  const engine = createEngine(templates);
  const plan = buildPlan({ inventory, pki: pki.bundle, pkiDecisions: pki.decisions, templates, engine, bundle: readBundleListing(bundleDir(inventory)) });
  return {
    inventory,
    warnings,
    plan,
    operator: operatorFiles(inventory, pki.bundle, engine),
    notices: [...planNotices(inventory, pki.decisions, { ephemeralPki }), ...keylessNotices(pki.bundle), ...blockedNotice(pki.blocked), ...rotationNotice(pki.bundle.rotation, NodeClock.now(), file), ...upgradeNotices(inventory, pki.bundle.identity?.versions)],
    stateDir: stateDir(inventory),
    ephemeralPki,
    blocked: pki.blocked,
  };
}

/** The version change apply would make (plan/upgrade-path.ts), or refuse, in apply's words. */
function upgradeNotices(inv: Inventory, recorded: Parameters<typeof upgradeCheck>[0]): readonly string[] {
  const c = upgradeCheck(recorded, inv);
  return [...c.lines.map((l) => `upgrade: ${l}`), ...c.problems.map((p) => `upgrade refused (apply stops here): ${p.key}: ${p.message}; ${p.hint}`)];
}

/** A plan shown with blocked certificates says that render and apply will refuse until they are issued. */
function blockedNotice(blocked: readonly PkiDecision[]): readonly string[] {
  if (blocked.length === 0) return [];
  return [`PKI blocked: ${blocked.map((d) => d.id).join(', ')} need a CA key that is kept offline; the files above use the certificates as issued, and render and apply refuse until they are re-issued (see the decisions)`];
}
