/** `kubesmith pki renew`: re-sign leaf certificates with the existing CA (like kubeadm certs renew). */
import { UsageError } from '../../shared/errors.js';
import { boolOpt, INVENTORY_OPTION, JSON_OPTION, type Command } from '../command.js';
import { println, readInventory } from './pki-shared.js';

export const pkiRenewCommand: Command = {
  name: 'pki renew',
  summary: 're-sign certificates with the existing CA, keeping subject and SANs',
  usage: '-i FILE [NAMES...|--all] [--reuse-keys] [--json]',
  description: [
    'NAMES are certificate ids (apiserver, etcd-server@node01) or catalogue ids (etcd-server: every member).',
    'Each renewed certificate keeps the subject, SANs and usages of the existing one and gets a new key',
    '(--reuse-keys keeps the key). Renewal is unconditional. CAs are never renewed.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    all: { type: 'boolean', description: 'renew every issued leaf certificate' },
    'reuse-keys': { type: 'boolean', description: 'keep the existing private keys' },
    json: JSON_OPTION,
  },
  allowPositionals: true,
  async run(ctx) {
    const all = boolOpt(ctx, 'all');
    if (all && ctx.positionals.length > 0) throw new UsageError('pki renew: pass NAMES or --all, not both');
    const inv = await readInventory(ctx);
    const [{ renewCerts }, { loadCatalogue }, { loadPkiState, pkiStateDir, savePkiState }, { NODE_PKI_SOURCES }] = await Promise.all([
      import('../../pki/renew.js'),
      import('../../state/load-catalogue.js'),
      import('../../state/pki-store.js'),
      import('../../state/pki-flow.js'),
    ]);
    const dir = pkiStateDir(inv);
    const req = { names: ctx.positionals, all, reuseKeys: boolOpt(ctx, 'reuse-keys') };
    const r = await renewCerts(req, inv, loadCatalogue(), loadPkiState(dir), NODE_PKI_SOURCES);
    savePkiState(dir, r.writes);
    const restarts = [...new Set(r.renewed.flatMap((x) => x.restarts))].sort();
    if (boolOpt(ctx, 'json')) {
      println(ctx, JSON.stringify({ stateDir: dir, renewed: r.renewed.map((x) => ({ ...x, notAfter: x.notAfter.toISOString() })), restart: restarts }, null, 2));
      return 0;
    }
    const w = Math.max(0, ...r.renewed.map((x) => x.id.length));
    for (const x of r.renewed) println(ctx, `renewed ${x.id.padEnd(w)}  valid until ${x.notAfter.toISOString().slice(0, 10)}${x.reusedKey ? ' (key reused)' : ' (new key)'}`);
    if (r.renewed.length === 0) println(ctx, 'nothing to renew');
    println(ctx, '');
    println(ctx, `The new certificates are in ${dir}; nothing on the hosts has changed yet.`);
    println(ctx, restarts.length > 0
      ? `Run \`kubesmith apply -i ${inv.source}\` to push them; it restarts ${restarts.join(', ')} where a file changed.`
      : 'Client certificates embedded in kubeconfigs: run `kubesmith apply` to re-render and push them.');
    return 0;
  },
};
