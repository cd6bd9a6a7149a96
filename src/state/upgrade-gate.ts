/**
 * apply's version gate: the inventory's versions against the ones the last full apply recorded
 * (plan/upgrade-path.ts decides). A refused change is an inventory error at the line that names
 * the version, raised before any host is touched or any state is written.
 */
import { readFileSync } from 'node:fs';
import type { Inventory } from '../inventory/types.js';
import type { DeployedVersions } from '../pki/identity.js';
import { upgradeCheck, type UpgradeCheck } from '../plan/upgrade-path.js';
import { InventoryError, type InventoryIssue } from '../shared/errors.js';

/** The upgrade lines to announce; throws InventoryError when a change is refused. */
export function gateUpgrade(inv: Inventory, recorded: DeployedVersions | undefined): UpgradeCheck {
  const check = upgradeCheck(recorded, inv);
  if (check.problems.length === 0) return check;
  const text = readText(inv.source);
  const issues: InventoryIssue[] = check.problems.map((p) => {
    const { line, col } = keyPosition(text, p.key.split('.').at(-1) ?? p.key);
    return { file: inv.source, line, col, path: p.key, severity: 'error', message: `${p.key}: ${p.message}; ${p.hint}` };
  });
  throw new InventoryError(inv.source, issues, '`kubesmith plan` shows the change apply would make; nothing was written and no host was touched');
}

/** Line and column (1-based) of the first `key:` in the text; 1:1 when the key is not written (a default). */
export function keyPosition(text: string, key: string): { line: number; col: number } {
  const re = new RegExp(`^(\\s*)${key}\\s*:`);
  const lines = text.split('\n');
  for (const [i, l] of lines.entries()) {
    const m = re.exec(l);
    if (m) return { line: i + 1, col: (m[1]?.length ?? 0) + 1 };
  }
  return { line: 1, col: 1 };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
