/**
 * YAML text -> validated, defaulted Inventory, or every problem found. Pure: the caller reads the
 * file. Syntax errors stop here (a broken document cannot be checked further); otherwise the
 * shape, the network plan, the hosts and the cluster rules all run and all issues are returned.
 */
import { isMap, isSeq } from 'yaml';
import type { InventoryIssue } from '../shared/errors.js';
import { applyDefaults } from './defaults.js';
import { parseInventoryText } from './parse.js';
import type { Inventory } from './types.js';
import { effectiveHa, validateCluster } from './validate-cluster.js';
import { validateComponents } from './validate-components.js';
import { IssueSink } from './validate-context.js';
import { validateHosts } from './validate-hosts.js';
import { validateNetwork } from './validate-network.js';
import { validateNodeSettings } from './validate-node-settings.js';
import { validatePorts } from './validate-ports.js';
import { homeOf, INVENTORY_SHAPE } from './validate-shape.js';
import { checkTextLimits, expansionIssue, INVENTORY_LIMITS, tooManyHostsIssue } from './limits.js';
import { DocRefs } from './yaml-refs.js';

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
  // Size and nesting first: the parser's time and stack grow with both (limits.ts).
  const tooBig = checkTextLimits(text, file);
  if (tooBig !== undefined) return { issues: [tooBig] };
  const { doc, lineCounter, issues: syntax } = parseInventoryText(text, file);
  const sink = new IssueSink(file, doc, lineCounter);
  sink.addAll(syntax);
  if (sink.hasErrors) return { issues: sink.issues() };
  const root = doc.contents;
  if (root === null || (root.range[0] === root.range[1] && !('items' in root))) {
    sink.errorAt(undefined, '', 'the inventory is empty; start from inventory.example.yaml');
    return { issues: sink.issues() };
  }
  // Count hosts and expanded values before the walk, which costs far more per value than this.
  const refs = new DocRefs(doc);
  const hosts = isMap(root) ? refs.resolve(root.get('hosts', true)) : undefined;
  if (isSeq(hosts) && hosts.items.length > INVENTORY_LIMITS.maxHosts) {
    const { line, col } = sink.posOf(hosts) ?? { line: 1, col: 1 };
    return { issues: [tooManyHostsIssue(file, hosts.items.length, line, col)] };
  }
  if (refs.aliasValues > INVENTORY_LIMITS.maxExpandedValues) return { issues: [expansionIssue(file, 1, 1)] };
  sink.note('', null, root);
  const raw = INVENTORY_SHAPE.read(root, '', { sink, homeOf, refs });
  if (raw === undefined) return { issues: sink.issues() };
  validateNetwork(raw, sink);
  validateHosts(raw, sink, effectiveHa(raw, sink));
  validatePorts(raw, sink, effectiveHa(raw, sink));
  validateCluster(raw, sink);
  validateNodeSettings(raw, sink);
  validateComponents(raw, sink);
  if (sink.hasErrors) return { issues: sink.issues() };
  return { inventory: applyDefaults(raw, source), issues: sink.issues() };
}
