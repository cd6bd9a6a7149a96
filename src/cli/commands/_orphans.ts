/** The orphan note `pki generate` and `pki check` print on stderr (stdout stays the report or JSON). */
import type { Inventory } from '../../inventory/types.js';
import { stringOpt, type CommandContext } from '../command.js';

/** Lists the PKI state's orphaned certificates and keys, if any, with the command that archives them. */
export async function printOrphanNote(ctx: CommandContext, inv: Inventory, dir: string): Promise<void> {
  const [{ readPkiOrphans }, { loadCatalogue }, { describeOrphans }] = await Promise.all([
    import('../../state/pki-archive.js'),
    import('../../state/load-catalogue.js'),
    import('../../pki/orphans.js'),
  ]);
  const lines = describeOrphans(readPkiOrphans(loadCatalogue(), inv, dir), stringOpt(ctx, 'inventory', 'inventory.yaml'));
  if (lines.length > 0) ctx.stderr.write(`note: ${lines.join('\n')}\n`);
}
