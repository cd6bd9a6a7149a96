/**
 * `kubesmith pki prune`: archives the certificates and keys the inventory no longer needs (a host
 * renamed or removed, a role dropped, pki.adminIdentity switched). Never deletes: files move to
 * <state>/pki/archive/<UTC time>/; CAs, the service-account keys, the token and files kubesmith
 * does not recognise are never touched.
 */
import { boolOpt, INVENTORY_OPTION, JSON_OPTION, type Command } from '../command.js';
import { println, readInventory } from './pki-shared.js';

export const pkiPruneCommand: Command = {
  name: 'pki prune',
  summary: 'archive certificates and keys of hosts or identities no longer in the inventory',
  usage: '-i FILE [--dry-run] [--json]',
  description: [
    'Moves orphaned certificates and keys (listed by `kubesmith plan`, `pki generate` and `pki check`)',
    'into <inventory dir>/.kubesmith/<cluster>/pki/archive/<UTC time>/ (0700, files 0600), with',
    'ARCHIVED.txt saying why. Nothing is deleted: move a file back to restore it. CAs, sa.key/sa.pub,',
    'the bootstrap token and files kubesmith does not recognise are never touched; a file named like',
    'an orphan whose content is a CA or not what kubesmith wrote stops the command before anything moves.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    json: JSON_OPTION,
    'dry-run': { type: 'boolean', description: 'list what would be archived; move nothing' },
  },
  async run(ctx) {
    const inv = await readInventory(ctx);
    const [{ loadCatalogue }, { loadPkiState, pkiStateDir }, { archiveOrphans, readPkiOrphans }, { NodeClock }] = await Promise.all([
      import('../../state/load-catalogue.js'),
      import('../../state/pki-store.js'),
      import('../../state/pki-archive.js'),
      import('../../state/node-sources.js'),
    ]);
    const dir = pkiStateDir(inv);
    const catalogue = loadCatalogue();
    const dryRun = boolOpt(ctx, 'dry-run');
    // Checks the directory's and keys' modes, and finishes an interrupted save, before anything moves.
    if (!dryRun) loadPkiState(dir);
    const result = dryRun ? undefined : archiveOrphans(catalogue, inv, dir, NodeClock.now());
    const orphans = result?.archived ?? readPkiOrphans(catalogue, inv, dir);
    const refused = orphans.filter((o) => o.refused !== undefined);
    if (boolOpt(ctx, 'json')) {
      println(ctx, JSON.stringify({ stateDir: dir, dryRun, archiveDir: result?.archiveDir ?? null, orphans }, null, 2));
      return refused.length > 0 ? 1 : 0;
    }
    if (orphans.length === 0) {
      println(ctx, `${dir}: nothing to prune (every certificate and key is needed by the inventory)`);
      return 0;
    }
    const w = Math.max(...orphans.map((o) => o.file.length));
    const verb = result ? 'archived' : 'would archive';
    for (const o of orphans) println(ctx, `${(o.refused ? 'refuse' : verb).padEnd(verb.length)} ${o.file.padEnd(w)}  ${o.reason}${o.refused ? `; ${o.refused}` : ''}`);
    if (result) println(ctx, `\n${orphans.length} file${orphans.length === 1 ? '' : 's'} moved to ${result.archiveDir} (nothing deleted; move a file back to restore it)`);
    else if (refused.length > 0) println(ctx, `\ndry run: nothing moved; ${refused.length} file${refused.length === 1 ? '' : 's'} would stop the prune (not what kubesmith wrote)`);
    else println(ctx, `\ndry run: nothing moved; run without --dry-run to archive ${orphans.length === 1 ? 'it' : 'them'}`);
    return refused.length > 0 ? 1 : 0;
  },
};
