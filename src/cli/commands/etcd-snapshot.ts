/**
 * `kubesmith etcd snapshot`: the snapshot program (deploy/phases/etcd-snapshot.ts) through the one
 * runner and executor, then the local part: the PKI tar beside the snapshot, retention, and what
 * was written. The plan is built from the stored PKI state (read only).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { etcdSnapshotPhases } from '../../deploy/phases/etcd-snapshot.js';
import { backupStamp, parseSnapshotName, pkiTarName, retentionVictims } from '../../plan/etcd-backup-names.js';
import { formatIssue, PhaseError, UsageError } from '../../shared/errors.js';
import { ensureBackupDir, listBackupDir, removeBackupFiles, writePkiTar } from '../../state/etcd-backups.js';
import { loadInventory } from '../../state/load-inventory.js';
import { NodeClock } from '../../state/node-sources.js';
import { stateDir } from '../../state/paths.js';
import { boolOpt, stringOpt, type CommandContext } from '../command.js';
import { etcdPlan } from '../etcd-plan.js';
import { runEtcdProgram, type StepLine } from './_etcd-run.js';

/** `--keep N`: a whole number of at least 1 (the snapshot just taken is always kept). */
export function parseKeep(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--keep ${text}: not a whole number of at least 1`, { hint: 'e.g. --keep 7 keeps the seven newest snapshot sets of this cluster' });
  return Number(text);
}

/** Runs the command; exit 0 when a verified snapshot was written. */
export async function runEtcdSnapshot(ctx: CommandContext): Promise<number> {
  const keep = parseKeep(stringOpt(ctx, 'keep'));
  const dryRun = boolOpt(ctx, 'dry-run');
  const keyText = stringOpt(ctx, 'encrypt-with');
  const keyFile = keyText === undefined ? undefined : resolve(ctx.cwd, keyText);
  if (keyFile !== undefined && !existsSync(keyFile)) throw new UsageError(`--encrypt-with ${keyText}: no such file`, { hint: 'name a file holding the passphrase for the PKI tar (keep it apart from the backups)' });
  const { inventory: inv, warnings } = await loadInventory(stringOpt(ctx, 'inventory', 'inventory.yaml'), ctx.cwd);
  for (const w of warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
  const members = inv.hosts.filter((h) => h.roles.includes('etcd')).map((h) => h.name);
  if (members.length === 0) throw new UsageError(`${inv.source}: no host has the etcd role; there is nothing to snapshot`);
  const outText = stringOpt(ctx, 'out');
  const outDir = outText === undefined ? join(stateDir(inv), 'backups', 'etcd') : isAbsolute(outText) ? outText : resolve(ctx.cwd, outText);
  const plan = etcdPlan(inv, false);
  const stamp = backupStamp(NodeClock.now());
  if (!dryRun) ensureBackupDir(outDir);
  let failure: PhaseError | undefined;
  const steps: StepLine[] = [];
  try {
    await runEtcdProgram(ctx, { command: 'etcd snapshot', plan, phases: etcdSnapshotPhases({ outDir, stamp }), hosts: members, dryRun, verifyTimeoutMs: 600_000 }, steps);
  } catch (err) {
    if (!(err instanceof PhaseError)) throw err;
    failure = err;
  }
  if (dryRun) return 0;
  const cluster = inv.cluster.name;
  const taken = listBackupDir(outDir).find((n) => parseSnapshotName(cluster, n)?.stamp === stamp);
  if (taken === undefined) throw failure ?? new PhaseError('etcd-snapshot', [], { hint: 'no snapshot was copied; see the log above' });
  const tar = pkiTarName(taken, keyFile !== undefined);
  writePkiTar(stateDir(inv), join(outDir, tar), keyFile);
  const removed = keep === undefined ? [] : retentionVictims(listBackupDir(outDir), cluster, keep);
  removeBackupFiles(outDir, removed);
  const from = steps.find((s) => s.step.startsWith('snapshot from '))?.step.slice('snapshot from '.length);
  const copied = steps.find((s) => s.step.startsWith('copy ') && s.status === 'changed');
  ctx.stdout.write(
    [
      `snapshot: ${join(outDir, taken)}`,
      `taken on: ${from ?? 'unknown'}; verified there with snapshot status and sha256sum, and here by sha256 (${copied?.detail ?? ''})`,
      `sha256:   ${join(outDir, `${taken}.sha256`)}`,
      `pki:      ${join(outDir, tar)} (${keyFile ? `encrypted with openssl aes-256-cbc, passphrase from ${keyFile}` : 'NOT encrypted'})`,
      ...(removed.length > 0 ? [`removed (--keep ${keep}): ${removed.join(', ')}`] : []),
      `These files hold every secret of the cluster (etcd holds its Secrets, the tar its CA keys): keep them encrypted at rest and off the cluster's hosts.`,
      `restore with: kubesmith etcd restore -i ${inv.source} --from ${join(outDir, taken)}`,
      '',
    ].join('\n'),
  );
  // A member that could not be reached does not spoil a verified snapshot; anything else does.
  if (failure && failure.failures.some((f) => !f.step.startsWith('connect'))) throw failure;
  if (failure) ctx.stderr.write(`warning: not reached: ${failure.failures.map((f) => f.host).join(', ')}; the snapshot was taken from a healthy member\n`);
  return 0;
}
