/** `kubesmith pki generate`: issue what is missing or stale, keep everything valid; idempotent. */
import { PkiError, UsageError } from '../../shared/errors.js';
import { boolOpt, INVENTORY_OPTION, JSON_OPTION, type Command, type CommandContext } from '../command.js';
import { printOrphanNote } from './_orphans.js';
import { formatDecisions, identityLines, println, readInventory } from './pki-shared.js';

/** Mirrors IDENTITY_NAMES (src/pki/identity.ts), kept here so `--help` does not load the PKI code. */
const NEW_CA_NAMES = ['kubernetes-ca', 'etcd-ca', 'front-proxy-ca', 'service-account'] as const;
type NewCaName = (typeof NEW_CA_NAMES)[number];

/** `--new-ca a,b --new-ca c` -> validated names; an unknown or empty name is a usage error. */
function newCaOpt(ctx: CommandContext): NewCaName[] {
  const v = ctx.values['new-ca'];
  const raw = (typeof v === 'string' ? [v] : Array.isArray(v) ? v : []).flatMap((s) => String(s).split(','));
  const names = raw.map((s) => s.trim());
  for (const n of names) {
    if (!(NEW_CA_NAMES as readonly string[]).includes(n)) {
      throw new UsageError(`pki generate --new-ca: "${n}" is not a CA or key kubesmith can replace`, { hint: `use one of ${NEW_CA_NAMES.join(', ')}` });
    }
  }
  return [...new Set(names as NewCaName[])];
}

export const pkiGenerateCommand: Command = {
  name: 'pki generate',
  summary: 'create or update the cluster PKI in the local state directory (idempotent)',
  usage: '-i FILE [--json] [--new-ca NAME]',
  description: [
    'Keeps every valid certificate; issues what is missing; re-issues a leaf whose subject or SANs no',
    'longer match the inventory, or which is close to expiry. Material lives in',
    '<inventory dir>/.kubesmith/<cluster>/pki/ (0700; keys 0600); cluster.json records the cluster identity.',
    'CAs and the service-account key are created once and never replaced silently: a missing, damaged or',
    'foreign one in a state that already signed certificates or was deployed is refused. --new-ca NAME',
    '(kubernetes-ca, etcd-ca, front-proxy-ca, service-account) replaces it on purpose: the old files go',
    'to pki/backup/<UTC time>/ first, then everything it signed is re-issued.',
    'With a CA certificate but no CA key (keyless mode), certificates that need that key are reported',
    'as "blocked" and the command exits 1.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    json: JSON_OPTION,
    'new-ca': { type: 'string', multiple: true, description: 'replace this CA or the service-account key (backed up first) and re-issue what it signed' },
  },
  async run(ctx) {
    const newCa = newCaOpt(ctx);
    const modules = Promise.all([import('../../state/pki-flow.js'), import('../../state/pki-store.js'), import('../abort.js')]); // load while the inventory parses
    const inv = await readInventory(ctx);
    const [{ generatePki, NODE_PKI_SOURCES }, { pkiStateDir }, { abortableKeys }] = await modules;
    const dir = pkiStateDir(inv);
    // Ctrl-C drops the keys still generating, so the issue that needed them never reaches the save.
    const sources = { ...NODE_PKI_SOURCES, keys: abortableKeys(NODE_PKI_SOURCES.keys, ctx.signal) };
    const r = await generatePki(inv, dir, { sources, ...(newCa.length > 0 ? { newCa } : {}) });
    if (boolOpt(ctx, 'json')) {
      const backup = r.backup ? `${dir}/${r.backup.dir}` : null;
      println(ctx, JSON.stringify({ stateDir: dir, decisions: r.decisions, written: r.writes.map((w) => w.name), identity: { status: r.identity.status, ...r.identity.identity }, backup }, null, 2));
    } else {
      println(ctx, formatDecisions(r.decisions));
      const count = (a: string): number => r.decisions.filter((d) => d.action === a).length;
      println(ctx, `\n${dir}: ${count('keep')} kept, ${count('issue')} issued, ${count('renew')} renewed, ${count('blocked')} blocked`);
      for (const line of identityLines(r.identity, dir, r.backup?.dir)) println(ctx, line);
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
