/** `kubesmith plan`: phases, certificate decisions and files per host (new/changed/unchanged), no network. */
import { formatIssue } from '../../shared/errors.js';
import { boolOpt, INVENTORY_OPTION, JSON_OPTION, stringOpt, type Command } from '../command.js';

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what apply would do: phases, certificate decisions, files per host (no hosts needed)',
  usage: '-i FILE [--json]',
  description: [
    'Files are compared with the last `kubesmith render` of this cluster (<state>/last-render.json):',
    'new, changed or unchanged. Secrets are never printed. Computes PKI decisions without saving',
    'any key material. Lists certificates and keys in the PKI state the inventory no longer needs',
    '(archive them with `kubesmith pki prune`).',
  ].join('\n'),
  options: { inventory: INVENTORY_OPTION, json: JSON_OPTION },
  async run(ctx) {
    const [{ preparePlan }, { readLastRender }, { planView }, { describePlan }, { readPkiOrphans }, { loadCatalogue }, { pkiStateDir }] = await Promise.all([
      import('../../state/plan-flow.js'),
      import('../../state/render-out.js'),
      import('../../plan/plan-view.js'),
      import('../../plan/describe.js'),
      import('../../state/pki-archive.js'),
      import('../../state/load-catalogue.js'),
      import('../../state/pki-store.js'),
    ]);
    const file = stringOpt(ctx, 'inventory', 'inventory.yaml');
    // Keyless mode: show blocked certificates in the plan (exit 1), rather than only refusing.
    const p = await preparePlan(file, ctx.cwd, { showBlocked: true, command: 'plan' });
    for (const w of p.warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
    const orphans = readPkiOrphans(loadCatalogue(), p.inventory, pkiStateDir(p.inventory));
    const view = planView(p.plan, readLastRender(p.stateDir), p.notices, orphans);
    ctx.stdout.write(boolOpt(ctx, 'json') ? `${JSON.stringify(view, null, 2)}\n` : describePlan(view, { color: ctx.color, inventoryFile: file }));
    return p.blocked.length > 0 ? 1 : 0;
  },
};
