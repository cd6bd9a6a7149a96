/**
 * `kubesmith remove HOST` for an etcd member: the remove program (deploy/phases/etcd-remove.ts)
 * through the one runner and executor, then the local part: the state forgets HOST (certificates
 * archived, never deleted; the record of started members). The plan is built from the stored PKI
 * state (read only), as the other etcd commands.
 */
import { etcdRemovePhases } from '../../deploy/phases/etcd-remove.js';
import { formatIssue, PhaseError, UsageError } from '../../shared/errors.js';
import { loadInventory } from '../../state/load-inventory.js';
import { boolOpt, stringOpt, type CommandContext } from '../command.js';
import { etcdPlan } from '../etcd-plan.js';
import { runEtcdProgram, type StepLine } from './_etcd-run.js';

/** Runs the command; exit 0 when HOST left the cluster (and its host was cleaned when reachable). */
export async function runRemove(ctx: CommandContext): Promise<number> {
  const [name, ...extra] = ctx.positionals;
  const file = stringOpt(ctx, 'inventory', 'inventory.yaml');
  // The inventory first: a wrong -i is named as such before anything about the host.
  const { inventory: inv, warnings } = await loadInventory(file, ctx.cwd);
  if (name === undefined || extra.length > 0) throw new UsageError(`remove: ${name === undefined ? 'name the host to remove' : 'name one host at a time'}`, { hint: `kubesmith remove -i ${file} HOST [--dry-run]` });
  for (const w of warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
  const host = inv.hosts.find((h) => h.name === name);
  if (!host) throw new UsageError(`remove: ${name} is not a host of ${inv.source}`, { hint: `kubesmith reaches the host by its inventory entry: keep it there until \`kubesmith remove ${name}\` has run; hosts: ${inv.hosts.map((h) => h.name).join(', ')}` });
  const others = host.roles.filter((r) => r !== 'etcd');
  if (!host.roles.includes('etcd') || others.length > 0) {
    throw new UsageError(`remove: ${name} has the role${others.length === 1 ? '' : 's'} ${others.join(', ')}: only etcd-only hosts can be removed for now`, {
      hint: `a node must be cordoned and drained (kubectl drain ${name} --ignore-daemonsets) and its Node deleted first, which kubesmith does not do yet; nothing was changed`,
    });
  }
  const dryRun = boolOpt(ctx, 'dry-run');
  const members = inv.hosts.filter((h) => h.roles.includes('etcd')).map((h) => h.name);
  const plan = etcdPlan(inv, false);
  const steps: StepLine[] = [];
  let failure: PhaseError | undefined;
  try {
    await runEtcdProgram(ctx, { command: 'remove', plan, phases: etcdRemovePhases(name, boolOpt(ctx, 'keep-data')), hosts: members, dryRun }, steps);
  } catch (err) {
    if (!(err instanceof PhaseError)) throw err;
    failure = err;
  }
  if (dryRun) return 0;
  const removed = steps.some((s) => s.step.includes(`etcdctl member remove ${name}`) && (s.status === 'changed' || s.status === 'unchanged'));
  const away = failure?.failures.some((f) => f.host !== name) ?? false;
  if (!removed || away) throw failure ?? new PhaseError('etcd-member-remove', [], { hint: `${name} was not removed; see the log above` });
  const [{ forgetEtcdMember }, { archiveOrphans }, { loadCatalogue }, { pkiStateDir }, { NodeClock }] = await Promise.all([
    import('../../state/pki-flow.js'),
    import('../../state/pki-archive.js'),
    import('../../state/load-catalogue.js'),
    import('../../state/pki-store.js'),
    import('../../state/node-sources.js'),
  ]);
  const dir = pkiStateDir(inv);
  forgetEtcdMember(dir, name);
  const without = { ...inv, hosts: inv.hosts.filter((h) => h.name !== name) };
  const archived = archiveOrphans(loadCatalogue(), without, dir, NodeClock.now(), { only: (o) => o.id.endsWith(`@${name}`), by: `kubesmith remove ${name}` });
  const cleaned = failure === undefined;
  ctx.stdout.write(
    [
      `${name} left the etcd cluster (${members.length - 1} members remain).`,
      cleaned ? `${name}: etcd stopped and disabled, kubesmith's files removed, data directory ${boolOpt(ctx, 'keep-data') ? 'kept in place' : 'moved aside to /var/lib/etcd.removed'}.` : `${name} could not be cleaned (see above): its files stay; stop etcd there by hand (systemctl disable --now etcd).`,
      archived ? `its certificates and keys: moved to ${archived.archiveDir} (${archived.archived.length} files)` : 'no certificate of it was left in the state',
      `next: delete ${name} from ${inv.source}, then run \`kubesmith apply -i ${inv.source}\` (the apiservers stop listing it among the etcd servers)`,
      '',
    ].join('\n'),
  );
  return cleaned ? 0 : 1;
}
