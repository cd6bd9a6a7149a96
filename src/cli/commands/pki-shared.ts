/**
 * What the `pki` commands share: reading the inventory and catalogue, locating the state dir, and
 * printing decisions. Heavy modules are imported lazily by the commands so startup stays fast.
 */
import type { Inventory } from '../../inventory/types.js';
import type { PkiDecision } from '../../pki/types.js';
import { formatIssue } from '../../shared/errors.js';
import { stringOpt, type CommandContext } from '../command.js';

/** Reads and validates the inventory named by -i (default inventory.yaml); warnings go to stderr. */
export async function readInventory(ctx: CommandContext): Promise<Inventory> {
  const { loadInventory } = await import('../../state/load-inventory.js');
  const { inventory, warnings } = await loadInventory(stringOpt(ctx, 'inventory', 'inventory.yaml'), ctx.cwd);
  for (const w of warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
  return inventory;
}

const ACTION_WIDTH = 7;

/** "keep    apiserver                   valid until 2027-11-22" lines, ids aligned. */
export function formatDecisions(decisions: readonly PkiDecision[]): string {
  const w = Math.max(...decisions.map((d) => d.id.length));
  return decisions.map((d) => `${d.action.padEnd(ACTION_WIDTH)} ${d.id.padEnd(w)}  ${d.reason}`).join('\n');
}

/** A fixed-width table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Writes a line (adds the newline). */
export function println(ctx: CommandContext, text: string): void {
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
