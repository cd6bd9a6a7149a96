/**
 * YAML text -> validated, defaulted Inventory, or every problem found. Pure: the caller reads the
 * file. Syntax errors stop here (a broken document cannot be checked further); otherwise the
 * shape, the network plan, the hosts and the cluster rules all run and all issues are returned.
 */
import type { InventoryIssue } from '../shared/errors.js';
import { applyDefaults } from './defaults.js';
import { parseInventoryText } from './parse.js';
import type { Inventory } from './types.js';
import { effectiveHa, validateCluster } from './validate-cluster.js';
import { IssueSink } from './validate-context.js';
import { validateHosts } from './validate-hosts.js';
import { validateNetwork } from './validate-network.js';
import { homeOf, INVENTORY_SHAPE } from './validate-shape.js';

/** What validateInventory returns. */
export interface ValidationResult {
  /** Present only when there are no errors (warnings allowed). */
  readonly inventory?: Inventory;
  /** Errors and warnings in source order. */
  readonly issues: readonly InventoryIssue[];
}

/**
 * Validates inventory text. `file` is how issues name the file (the path as the user gave it);
 * `source` is the absolute path recorded in the Inventory (defaults to `file`).
 */
export function validateInventory(text: string, file: string, source: string = file): ValidationResult {
  const { doc, lineCounter, issues: syntax } = parseInventoryText(text, file);
  const sink = new IssueSink(file, doc, lineCounter);
  sink.addAll(syntax);
  if (sink.hasErrors) return { issues: sink.issues() };
  const root = doc.contents;
  if (root === null || (root.range[0] === root.range[1] && !('items' in root))) {
    sink.errorAt(undefined, '', 'the inventory is empty; start from inventory.example.yaml');
    return { issues: sink.issues() };
  }
  sink.note('', null, root);
  const raw = INVENTORY_SHAPE.read(root, '', { sink, homeOf });
  if (raw === undefined) return { issues: sink.issues() };
  validateNetwork(raw, sink);
  validateHosts(raw, sink, effectiveHa(raw, sink));
  validateCluster(raw, sink);
  if (sink.hasErrors) return { issues: sink.issues() };
  return { inventory: applyDefaults(raw, source), issues: sink.issues() };
}
