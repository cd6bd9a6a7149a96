/**
 * `kubesmith etcd restore`: local checks first (the snapshot against its .sha256, the members'
 * certificates against their addresses), then the restore program (deploy/phases/etcd-restore.ts)
 * through the one runner and executor, on every etcd member and control-plane host.
 */
import { resolve } from 'node:path';
import { etcdRestorePhases } from '../../deploy/phases/etcd-restore.js';
import { dataDirs } from '../../deploy/phases/_etcd-restore.js';
import { backupStamp } from '../../plan/etcd-backup-names.js';
import { formatIssue, UsageError } from '../../shared/errors.js';
import { verifySnapshotFile } from '../../state/etcd-backups.js';
import { loadInventory } from '../../state/load-inventory.js';
import { NodeClock } from '../../state/node-sources.js';
import { stateDir } from '../../state/paths.js';
import { saveRestoreSession, unfinishedRestore, type RestoreSession } from '../../state/restore-session.js';
import { boolOpt, stringOpt, type CommandContext } from '../command.js';
import { etcdPlan, refuseMismatchedEtcdCerts } from '../etcd-plan.js';
import { runEtcdProgram } from './_etcd-run.js';

/** Runs the command; exit 0 when every member was restored and checked. */
export async function runEtcdRestore(ctx: CommandContext): Promise<number> {
  const fromText = stringOpt(ctx, 'from');
  if (fromText === undefined) throw new UsageError('etcd restore: --from SNAPSHOT is required', { hint: 'name a snapshot written by `kubesmith etcd snapshot` (its .sha256 beside it)' });
  const dryRun = boolOpt(ctx, 'dry-run');
  const { inventory: inv, warnings } = await loadInventory(stringOpt(ctx, 'inventory', 'inventory.yaml'), ctx.cwd);
  for (const w of warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
  const members = inv.hosts.filter((h) => h.roles.includes('etcd')).map((h) => h.name);
  if (members.length === 0) throw new UsageError(`${inv.source}: no host has the etcd role; there is nothing to restore`);
  const snapshot = await verifySnapshotFile(resolve(ctx.cwd, fromText));
  const now = NodeClock.now();
  refuseMismatchedEtcdCerts(inv, now);
  const plan = etcdPlan(inv, true);
  const dir = stateDir(inv);
  const resumed = unfinishedRestore(dir, snapshot.sha256);
  const stamp = resumed?.stamp ?? backupStamp(now);
  const session: RestoreSession = resumed ?? { sha256: snapshot.sha256, token: `kubesmith-${inv.cluster.name}-restore-${stamp}`, stamp, done: false };
  if (resumed) ctx.stderr.write(`resuming the restore started ${stamp} (cluster token ${session.token}): finished members are skipped\n`);
  if (!dryRun) saveRestoreSession(dir, session);
  const hosts = inv.hosts.filter((h) => h.roles.includes('etcd') || h.roles.includes('control-plane')).map((h) => h.name);
  const spec = { snapshot, token: session.token, stamp };
  await runEtcdProgram(ctx, { command: 'etcd restore', plan, phases: etcdRestorePhases(spec), hosts, dryRun, verifyTimeoutMs: 180_000 });
  if (dryRun) return 0;
  saveRestoreSession(dir, { ...session, done: true });
  const { data, aside } = dataDirs(plan, stamp);
  ctx.stdout.write(
    [
      `restored ${members.length} etcd member${members.length === 1 ? '' : 's'} (${members.join(', ')}) from ${snapshot.path} (sha256 ${snapshot.sha256})`,
      `new cluster token: ${session.token}`,
      `previous data: ${data} was moved aside to ${aside} on each member that had one (kept; remove it yourself once the cluster is proven)`,
      'apiservers: started where their binary runs; controller-manager and scheduler restarted',
      `if the inventory changed since the last apply (e.g. a member's new address), run \`kubesmith apply -i ${inv.source}\` next so every component uses it`,
      '',
    ].join('\n'),
  );
  return 0;
}
