/** `kubesmith pki renew`: re-sign leaf certificates with the existing CA (like kubeadm certs renew). */
import type { Inventory } from '../../inventory/types.js';
import { UsageError } from '../../shared/errors.js';
import { boolOpt, INVENTORY_OPTION, JSON_OPTION, type Command } from '../command.js';
import { println, readInventory } from './pki-shared.js';

export const pkiRenewCommand: Command = {
  name: 'pki renew',
  summary: 're-sign certificates with the existing CA, keeping subject and SANs',
  usage: '-i FILE [NAMES...|--all|--due] [--reuse-keys] [--json]',
  description: [
    'NAMES are certificate ids (apiserver, etcd-server@node01) or catalogue ids (etcd-server: every member).',
    'Each renewed certificate keeps the subject, SANs and usages of the existing one and gets a new key',
    '(--reuse-keys keeps the key). Renewal of NAMES and --all is unconditional; --due renews only the',
    'leaves inside their renewal window (30 days, or a third of a shorter lifetime): the rows `pki check`',
    'shows as "renew due", the ones `pki generate` would renew. CAs are never renewed.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    all: { type: 'boolean', description: 'renew every issued leaf certificate' },
    due: { type: 'boolean', description: 'renew the leaves inside their renewal window (what pki check shows as renew due)' },
    'reuse-keys': { type: 'boolean', description: 'keep the existing private keys' },
    json: JSON_OPTION,
  },
  allowPositionals: true,
  async run(ctx) {
    const all = boolOpt(ctx, 'all');
    const due = boolOpt(ctx, 'due');
    if ([all, due, ctx.positionals.length > 0].filter(Boolean).length > 1) throw new UsageError('pki renew: pass one of NAMES, --all or --due');
    const inv = await readInventory(ctx);
    const [{ renewCerts }, { loadCatalogue }, { loadPkiState, pkiStateDir, savePkiState }, { NODE_PKI_SOURCES }] = await Promise.all([
      import('../../pki/renew.js'),
      import('../../state/load-catalogue.js'),
      import('../../state/pki-store.js'),
      import('../../state/pki-flow.js'),
    ]);
    const dir = pkiStateDir(inv);
    const req = { names: ctx.positionals, all, due, reuseKeys: boolOpt(ctx, 'reuse-keys') };
    const r = await renewCerts(req, inv, loadCatalogue(), loadPkiState(dir), NODE_PKI_SOURCES);
    savePkiState(dir, r.writes);
    // The admin credential lives only on this machine, so its kubeconfig is current right away.
    const adminLine = r.renewed.some((x) => x.id === 'admin') ? await refreshAdminKubeconfig(inv, dir) : undefined;
    const restarts = [...new Set(r.renewed.flatMap((x) => x.restarts))].sort();
    const token = await tokenNotice(loadPkiState(dir).bootstrapTokenJson);
    if (boolOpt(ctx, 'json')) {
      println(ctx, JSON.stringify({ stateDir: dir, renewed: r.renewed.map((x) => ({ ...x, notAfter: x.notAfter.toISOString() })), restart: restarts, ...(token ? { bootstrapToken: token.json } : {}) }, null, 2));
      return 0;
    }
    const w = Math.max(0, ...r.renewed.map((x) => x.id.length));
    for (const x of r.renewed) println(ctx, `renewed ${x.id.padEnd(w)}  valid until ${x.notAfter.toISOString().slice(0, 10)}${x.reusedKey ? ' (key reused)' : ' (new key)'}`);
    if (r.renewed.length === 0) {
      const { describeWindow, renewalWindowMs } = await import('../../pki/renewal.js');
      const days = inv.pki.leafValidityDays;
      println(ctx, due ? `nothing to renew: no certificate is within its renewal window (${describeWindow(renewalWindowMs(days))} for ${days}-day leaves)` : 'nothing to renew');
    }
    println(ctx, '');
    println(ctx, `The new certificates are in ${dir}; nothing on the hosts has changed yet.`);
    if (adminLine !== undefined) println(ctx, adminLine);
    if (token) println(ctx, token.line);
    println(ctx, restarts.length > 0
      ? `Run \`kubesmith apply -i ${inv.source}\` to push them; it restarts ${restarts.join(', ')} where a file changed.`
      : 'Client certificates embedded in kubeconfigs: run `kubesmith apply` to re-render and push them.');
    return 0;
  },
};

/** Re-renders `<state>/admin.kubeconfig` from the saved PKI; the line to print. */
async function refreshAdminKubeconfig(inv: Inventory, dir: string): Promise<string> {
  const [{ generatePki }, { loadTemplates }, { saveAdminKubeconfig, adminKubeconfigLine }] = await Promise.all([
    import('../../state/pki-flow.js'),
    import('../../state/load-templates.js'),
    import('../../state/admin-kubeconfig.js'),
  ]);
  const pki = await generatePki(inv, dir, { persist: false });
  return adminKubeconfigLine(saveAdminKubeconfig(inv, pki.bundle, loadTemplates()));
}

/**
 * Kubelets whose client certificate expired re-bootstrap with the bootstrap token, so a renewal of
 * an expired cluster must say when the stored token is no good: `pki renew` re-signs certificates
 * only, and `kubesmith apply` issues the fresh token (ensurePki, the one place tokens are minted).
 */
async function tokenNotice(json: string | undefined): Promise<{ line: string; json: { id: string; expires: string; replacedBy: string; reason: string } } | undefined> {
  if (json === undefined) return undefined;
  const { parseToken, rfc3339, tokenReplacementReason } = await import('../../pki/bootstrap-token.js');
  let t;
  try {
    t = parseToken(json);
  } catch {
    return undefined; // apply replaces an unreadable token too, and says so in its decisions
  }
  const why = tokenReplacementReason(t, new Date());
  if (why === undefined) return undefined;
  return {
    line: `The bootstrap token ${t.id} ${why}: \`kubesmith apply\` issues a fresh one, which kubelets whose client certificate expired re-bootstrap with.`,
    json: { id: t.id, expires: rfc3339(t.expires), replacedBy: 'kubesmith apply', reason: why },
  };
}
