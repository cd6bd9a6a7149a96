/**
 * `kubesmith etcd snapshot` as phases for the one runner and executor:
 *   connect (not a gate: a snapshot is most wanted when a member is down) -> lock ->
 *   etcd-members (each member's own health, id, leader and revision) ->
 *   etcd-snapshot-save (on the member pickSnapshotMember chose, from every member's facts:
 *     `etcdctl snapshot save` against its own endpoint into /var/lib/kubesmith/etcd-backup) ->
 *   etcd-snapshot-fetch (gather: `snapshot status` on the host; steps: copy to the operator
 *     machine, checked against the sha256 the host computes while sending, then remove the host's copy).
 * The choice is pure and made alike on every host from PhaseInput.peers, so exactly one member
 * saves. Other members drop a snapshot an interrupted run left behind.
 */
import { join } from 'node:path';
import { snapshotFileName } from '../../plan/etcd-backup-names.js';
import type { PlannedHost } from '../../plan/types.js';
import type { Phase, PhaseInput, Step } from '../phase.js';
import { connect } from './connect.js';
import { lock } from './lock.js';
import {
  etcdMembers,
  isVerified,
  memberProbeArgv,
  parseMemberProbe,
  parseSnapshotInspect,
  pickSnapshotMember,
  snapshotFetchSteps,
  snapshotInspectArgv,
  snapshotSaveSteps,
  SNAPSHOT_TMP,
  type SnapshotPick,
} from './_etcd-backup.js';

/** Where the copy goes and how it is named. */
export interface SnapshotOptions {
  /** Local directory (exists, 0700). */
  readonly outDir: string;
  /** backupStamp() of the run's start. */
  readonly stamp: string;
}

const onEtcd = (plan: Parameters<Phase['hosts']>[0]): readonly PlannedHost[] => etcdMembers(plan);

/** The pick every host of the run computes alike from the members' facts. */
export function snapshotPick(input: PhaseInput): SnapshotPick {
  return pickSnapshotMember(etcdMembers(input.plan).map((m) => {
    const fact = input.peers?.get(m.host.name)?.etcdMember;
    return { host: m.host.name, ...(fact ? { fact } : {}) };
  }));
}

/** Each member's view of itself; a member that does not answer is a fact ("unhealthy"), not a failure. */
export const etcdMembersPhase: Phase = {
  id: 'etcd-members',
  title: 'Ask each etcd member for its health, leader and revision',
  hosts: onEtcd,
  gather: async (host, { plan, host: planned }, ctx) => {
    const argv = memberProbeArgv(plan, planned);
    if (!argv) return { etcdMember: { healthy: false, error: 'the plan ships no healthcheck-client certificate to ask etcd with' } };
    const r = await host.probe(argv, { signal: ctx.signal, timeoutMs: 30_000 });
    return { etcdMember: parseMemberProbe(plan, planned, r.stdout) };
  },
  plan: () => [],
};

/** Takes the snapshot on the chosen member. */
export const etcdSnapshotSave: Phase = {
  id: 'etcd-snapshot-save',
  title: 'Take the etcd snapshot',
  hosts: onEtcd,
  check: (input) => {
    const pick = snapshotPick(input);
    // Said once, by the first host of the run, not once per member.
    if ('error' in pick && input.activeHosts[0] === input.host.host.name) {
      return [{ severity: 'error', message: `no member to take the snapshot from: ${pick.error}`, hint: 'see `kubesmith status -i INV` and `journalctl -u etcd` on the members; a snapshot needs a member that follows a leader' }];
    }
    return [];
  },
  plan: (input) => {
    const pick = snapshotPick(input);
    if ('error' in pick || pick.host !== input.host.host.name) {
      return [{ kind: 'exec', argv: ['rm', '-f', SNAPSHOT_TMP, `${SNAPSHOT_TMP}.part`], unless: ['sh', '-c', `! [ -e ${SNAPSHOT_TMP} ] && ! [ -e ${SNAPSHOT_TMP}.part ]`], why: 'remove a snapshot an interrupted run left on this member' }];
    }
    const save = snapshotSaveSteps(input.plan, input.host, pick.why);
    if (!save) return [{ kind: 'note', message: 'no healthcheck-client certificate in the plan: cannot ask etcd for a snapshot' }];
    return [{ kind: 'note', message: `snapshot from ${pick.host}: ${pick.why}` }, ...save];
  },
};

/** Verifies the snapshot on its host, copies it to the operator machine, removes the host's copy. */
export function etcdSnapshotFetch(o: SnapshotOptions): Phase {
  return {
    id: 'etcd-snapshot-fetch',
    title: 'Verify the snapshot and copy it to this machine',
    hosts: onEtcd,
    gather: async (host, { plan }, ctx) => {
      const r = await host.probe(snapshotInspectArgv(plan), { signal: ctx.signal, timeoutMs: 600_000 });
      const found = parseSnapshotInspect(SNAPSHOT_TMP, r.stdout);
      return found ? { etcdSnapshot: found } : {};
    },
    check: ({ facts, host }) => {
      const f = facts.etcdSnapshot;
      if (f === undefined || isVerified(f)) return [];
      return [{ severity: 'error', message: `${host.host.name}:${f.path}: the snapshot does not verify: ${f.error}`, hint: 'the member may be short of disk or its database damaged; see `journalctl -u etcd` there, then run `kubesmith etcd snapshot` again (the file is replaced)' }];
    },
    plan: (input): readonly Step[] => {
      const f = input.facts.etcdSnapshot;
      if (!isVerified(f)) {
        const pick = snapshotPick(input);
        // Dry-run: nothing was saved, so say what would be copied.
        return 'host' in pick && pick.host === input.host.host.name ? [{ kind: 'note', message: `would verify ${SNAPSHOT_TMP} (snapshot status, sha256) and copy it to ${o.outDir}` }] : [];
      }
      const to = join(o.outDir, snapshotFileName(input.plan.inventory.cluster.name, o.stamp, f.revision));
      return snapshotFetchSteps(f, to);
    },
  };
}

/** The snapshot program. */
export function etcdSnapshotPhases(o: SnapshotOptions): readonly Phase[] {
  return [{ ...connect, gate: false }, lock, etcdMembersPhase, etcdSnapshotSave, etcdSnapshotFetch(o)];
}
