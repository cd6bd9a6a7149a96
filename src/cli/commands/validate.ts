/** `kubesmith validate`: checks the inventory and prints every problem as FILE:LINE:COL; writes nothing. */
import { formatIssue } from '../../shared/errors.js';
import { ROLES } from '../../inventory/types.js';
import type { Inventory } from '../../inventory/types.js';
import { checkInventoryFile } from '../../state/load-inventory.js';
import { INVENTORY_OPTION, JSON_OPTION, boolOpt, stringOpt } from '../command.js';
import type { Command } from '../command.js';

/** "demo: OK, Kubernetes v1.31.2, 4 hosts (etcd 3, control-plane 2, worker 2), API ha local-proxy". */
function summary(file: string, inv: Inventory, warnings: number): string {
  const perRole = ROLES.map((r) => [r, inv.hosts.filter((h) => h.roles.includes(r)).length] as const)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const n = inv.hosts.length;
  const warn = warnings === 0 ? '' : `, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  return (
    `${file}: OK: cluster ${inv.cluster.name}, Kubernetes ${inv.cluster.kubernetesVersion}, ` +
    `${n} host${n === 1 ? '' : 's'} (${perRole}), API ha ${inv.cluster.apiServer.ha}${warn}\n`
  );
}

/** `kubesmith validate [-i FILE] [--json]`: exit 0 valid (warnings allowed), 2 with errors. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check the inventory and list every problem with its line (writes nothing)',
  usage: '[-i FILE] [--json]',
  description:
    'Prints each problem as FILE:LINE:COL: message on stderr (warnings say "warning:").\n' +
    'Exit 0 when the inventory is valid (warnings allowed), 2 when it has errors.',
  options: { inventory: INVENTORY_OPTION, json: JSON_OPTION },
  async run(ctx) {
    const file = stringOpt(ctx, 'inventory', 'inventory.yaml');
    const result = await checkInventoryFile(file, ctx.cwd);
    const ok = result.inventory !== undefined;
    if (boolOpt(ctx, 'json')) {
      ctx.stdout.write(`${JSON.stringify({ ok, issues: result.issues }, null, 2)}\n`);
    } else {
      for (const issue of result.issues) ctx.stderr.write(`${formatIssue(issue)}\n`);
      if (result.inventory !== undefined) {
        ctx.stdout.write(summary(file, result.inventory, result.issues.length));
      } else {
        const errors = result.issues.filter((i) => i.severity === 'error').length;
        ctx.stderr.write(`${file}: ${errors} error${errors === 1 ? '' : 's'}; fix them and run kubesmith validate again\n`);
      }
    }
    return ok ? 0 : 2;
  },
};
