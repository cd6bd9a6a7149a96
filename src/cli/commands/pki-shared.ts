/**
 * What the `pki` commands share: reading the inventory and catalogue, locating the state dir, and
 * printing decisions. Heavy modules are imported lazily by the commands so startup stays fast.
 */
import type { Inventory } from '../../inventory/types.js';
import type { IdentityOutcome } from '../../pki/identity-plan.js';
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

/** What `pki generate` tells the operator about the cluster identity record (nothing when unchanged). */
export function identityLines(o: IdentityOutcome, dir: string, backupDir: string | undefined): string[] {
  const fps = Object.entries(o.identity.fingerprints).map(([n, fp]) => `  ${n.padEnd(16)} ${fp}`);
  switch (o.status) {
    case 'new':
      return [
        `new cluster identity for "${o.identity.cluster}" (no earlier PKI in ${dir}), recorded in ${dir}/cluster.json:`,
        ...fps,
        'If this cluster was installed before from another location (a moved or copied inventory), stop: move that',
        '.kubesmith directory next to this inventory instead. apply refuses hosts that carry another CA.',
      ];
    case 'recorded':
      return [`cluster identity recorded in ${dir}/cluster.json:`, ...fps];
    case 'updated': {
      const now = o.identity.replaced.filter((e) => e.backup === backupDir && backupDir !== undefined);
      return [
        ...now.map((e) => `replaced ${e.name} (--new-ca); the old files are in ${dir}/${e.backup}/`),
        ...(now.length > 0 ? ['run `kubesmith apply` to install the new material; hosts still trust the old one until then'] : [`cluster identity updated in ${dir}/cluster.json`]),
      ];
    }
    default:
      return [];
  }
}

/** Writes a line (adds the newline). */
export function println(ctx: CommandContext, text: string): void {
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
