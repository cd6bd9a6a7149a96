/**
 * The snapshot `apply` takes before it restarts a running etcd (renewed certificates, a new
 * binary, a changed flag): ETCD_ROLLING.before. The same pieces as `kubesmith etcd snapshot`
 * (_etcd-backup.ts): `etcdctl snapshot save` on the leader (else a healthy member the run
 * reaches), verified there (`snapshot status`), copied to <state dir>/backups/etcd through the
 * executor's fetch step (sha256 checked), the member's copy removed. A snapshot that cannot be
 * taken stops the rollout before the first restart; `apply --no-etcd-snapshot` opts out.
 */
import { join } from 'node:path';
import { snapshotFileName } from '../../plan/etcd-backup-names.js';
import type { BeforeRollout } from '../phase.js';
import { etcdMembers, isVerified, parseSnapshotInspect, snapshotFetchSteps, snapshotInspectArgv, snapshotSaveSteps, SNAPSHOT_TMP } from './_etcd-backup.js';

/** How to go on without the snapshot, for the error that stops the rollout. */
export const ROLLOUT_SNAPSHOT_OPT_OUT = 'run it with --no-etcd-snapshot to restart without one (take a snapshot first with `kubesmith etcd snapshot` if you can)';

/** The member to save from: the leader when the run reaches it and it is healthy, else the first healthy member reached. */
export function rolloutSnapshotHost(io: Pick<BeforeRollout, 'verdict' | 'readers'>): string | undefined {
  const ok = (h: string): boolean => io.readers.has(h) && !io.verdict.unhealthy.has(h) && io.verdict.checked.includes(h);
  const leader = io.verdict.last?.[0];
  if (leader !== undefined && ok(leader)) return leader;
  return io.verdict.checked.find(ok);
}

/** Takes, verifies and copies the snapshot; the line for the rollout report. Throws when it cannot. */
export async function snapshotBeforeRollout(io: BeforeRollout): Promise<string | undefined> {
  const target = io.etcdSnapshot;
  if (target === undefined) return undefined; // apply --no-etcd-snapshot, or a caller that keeps none
  const host = rolloutSnapshotHost(io);
  if (host === undefined) return 'no etcd snapshot before the restarts: no member this run reaches is healthy (nothing consistent to save)';
  const planned = etcdMembers(io.plan).find((m) => m.host.name === host);
  const save = planned && snapshotSaveSteps(io.plan, planned, 'before restarting etcd members');
  if (!save) throw new Error(`cannot take the etcd snapshot on ${host}: the plan ships no healthcheck-client certificate to ask etcd with`);
  if (io.dryRun) {
    await io.run(host, save);
    return `would take an etcd snapshot on ${host} and copy it to ${target.dir} before the first restart`;
  }
  try {
    await io.run(host, save);
    const r = await io.readers.get(host)?.probe(snapshotInspectArgv(io.plan), { signal: io.signal, timeoutMs: 600_000 });
    const found = parseSnapshotInspect(SNAPSHOT_TMP, r?.stdout ?? '');
    if (!isVerified(found)) throw new Error(`the etcd snapshot on ${host} does not verify: ${found?.error ?? 'no snapshot file after snapshot save'}`);
    const to = join(target.dir, snapshotFileName(io.plan.inventory.cluster.name, target.stamp, found.revision));
    await io.run(host, snapshotFetchSteps(found, to));
    return `etcd snapshot before the restarts: ${to} (from ${host}, revision ${found.revision}); restore with \`kubesmith etcd restore --from\` it`;
  } catch (err) {
    // The member keeps no copy of a snapshot that did not reach this machine: it holds every secret.
    await io.run(host, [{ kind: 'exec', argv: ['rm', '-f', SNAPSHOT_TMP, `${SNAPSHOT_TMP}.part`], why: 'the snapshot did not reach this machine; remove the member\'s copy' }]).catch(() => undefined);
    throw err;
  }
}
