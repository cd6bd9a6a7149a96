/** `kubesmith pki generate`: issue what is missing or stale, keep everything valid; idempotent. */
import { PkiError } from '../../shared/errors.js';
import { boolOpt, INVENTORY_OPTION, JSON_OPTION, type Command } from '../command.js';
import { printOrphanNote } from './_orphans.js';
import { formatDecisions, println, readInventory } from './pki-shared.js';

export const pkiGenerateCommand: Command = {
  name: 'pki generate',
  summary: 'create or update the cluster PKI in the local state directory (idempotent)',
  usage: '-i FILE [--json]',
  description: [
    'Keeps every valid certificate; issues what is missing; re-issues a leaf whose subject or SANs no',
    'longer match the inventory, whose chain no longer verifies, or which expires within 30 days.',
    'Material lives in <inventory dir>/.kubesmith/<cluster>/pki/ (0700; keys 0600). CAs are never renewed.',
    'With a CA certificate but no CA key (keyless mode), certificates that need that key are reported',
    'as "blocked" and the command exits 1.',
  ].join('\n'),
  options: { inventory: INVENTORY_OPTION, json: JSON_OPTION },
  async run(ctx) {
    const modules = Promise.all([import('../../state/pki-flow.js'), import('../../state/pki-store.js')]); // load while the inventory parses
    const inv = await readInventory(ctx);
    const [{ generatePki }, { pkiStateDir }] = await modules;
    const dir = pkiStateDir(inv);
    const r = await generatePki(inv, dir);
    if (boolOpt(ctx, 'json')) {
      println(ctx, JSON.stringify({ stateDir: dir, decisions: r.decisions, written: r.writes.map((w) => w.name) }, null, 2));
    } else {
      println(ctx, formatDecisions(r.decisions));
      const count = (a: string): number => r.decisions.filter((d) => d.action === a).length;
      println(ctx, `\n${dir}: ${count('keep')} kept, ${count('issue')} issued, ${count('renew')} renewed, ${count('blocked')} blocked`);
    }
    await printOrphanNote(ctx, inv, dir);
    if (r.blocked.length > 0) {
      throw new PkiError(`pki generate: ${r.blocked.length} certificate${r.blocked.length === 1 ? '' : 's'} need${r.blocked.length === 1 ? 's' : ''} a CA key that is not in ${dir} (keyless mode)`, {
        detail: r.blocked.map((d) => `${d.id}: ${d.reason}`),
        hint: 'put the CA key back (mode 0600), or issue these certificates with your external CA and place them in the state directory; everything else was kept or written',
      });
    }
    return 0;
  },
};
