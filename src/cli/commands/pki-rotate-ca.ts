/** `kubesmith pki rotate-ca`: one step of a staged rotation (src/pki/rotation.ts), saved, then what apply will do. */
import type { Inventory } from '../../inventory/types.js';
import type { PkiBundle } from '../../pki/types.js';
import { UsageError } from '../../shared/errors.js';
import { boolOpt, type CommandContext } from '../command.js';
import { formatDecisions, println, readInventory } from './pki-shared.js';

/** Runs `pki rotate-ca NAME [--continue]`. */
export async function runRotateCa(ctx: CommandContext): Promise<number> {
  const [{ rotationName }, { rotationLines }] = await Promise.all([import('../../pki/rotation.js'), import('../../pki/rotation-describe.js')]);
  const arg = ctx.positionals[0];
  const name = arg === undefined ? undefined : rotationName(arg);
  if (ctx.positionals.length !== 1 || name === undefined) {
    throw new UsageError(`pki rotate-ca: ${arg === undefined ? 'name the CA to rotate' : ctx.positionals.length > 1 ? 'name one CA at a time' : `"${arg}" is not a CA or key kubesmith rotates`}`, {
      hint: 'use one of kubernetes-ca, etcd-ca, front-proxy-ca, service-account (or kubernetes, etcd, front-proxy, sa)',
    });
  }
  const cont = boolOpt(ctx, 'continue');
  if (boolOpt(ctx, 'skip-token-wait') && !(cont && name === 'service-account')) {
    throw new UsageError('pki rotate-ca: --skip-token-wait only applies to `pki rotate-ca service-account --continue`');
  }
  const inv = await readInventory(ctx);
  const [{ startCaRotation, continueCaRotation }, { pkiStateDir }, { NodeClock }] = await Promise.all([
    import('../../state/rotation-flow.js'),
    import('../../state/pki-store.js'),
    import('../../state/node-sources.js'),
  ]);
  const dir = pkiStateDir(inv);
  const step = cont
    ? await continueCaRotation(inv, dir, name, { inventoryFile: inv.source, skipTokenWait: boolOpt(ctx, 'skip-token-wait') })
    : await startCaRotation(inv, dir, name);
  // The admin kubeconfig trusts the kubernetes CA bundle and carries a certificate it signs.
  const admin = name === 'kubernetes-ca' ? await refreshAdmin(inv, step.pki.bundle) : undefined;
  const reissued = step.pki.decisions.filter((d) => d.action !== 'keep' && step.rotation.stage === 2);
  if (boolOpt(ctx, 'json')) {
    const r = step.rotation;
    println(ctx, JSON.stringify({ stateDir: dir, name: r.name, stage: r.stage, stages: r.stages, old: r.old.fingerprint, new: r.next.fingerprint, backup: step.backup ? `${dir}/${step.backup.dir}` : null, reissued }, null, 2));
    return 0;
  }
  if (reissued.length > 0) println(ctx, `${formatDecisions(reissued)}\n`);
  for (const line of rotationLines(step.rotation, NodeClock.now(), inv.source)) println(ctx, line);
  if (step.backup) println(ctx, `  the state was backed up to ${dir}/${step.backup.dir}/ first`);
  if (admin) println(ctx, admin);
  println(ctx, 'Nothing on the hosts has changed yet.');
  return 0;
}

/** Re-renders <state>/admin.kubeconfig from the PKI after the step; the line to print. */
async function refreshAdmin(inv: Inventory, bundle: PkiBundle): Promise<string> {
  const [{ saveAdminKubeconfig, adminKubeconfigLine }, { loadTemplates }] = await Promise.all([import('../../state/admin-kubeconfig.js'), import('../../state/load-templates.js')]);
  return adminKubeconfigLine(saveAdminKubeconfig(inv, bundle, loadTemplates()));
}
