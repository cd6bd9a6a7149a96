/**
 * `kubesmith etcd restore` as phases for the one runner and executor, in the order upstream's
 * disaster-recovery guide gives (etcd.io op-guide/recovery; kubernetes.io "Restoring an etcd
 * cluster"):
 *   connect, lock (gates: every member and control-plane host, or nothing is touched) ->
 *   etcd-restore-check (gate: etcd and the snapshot tool run on every member) ->
 *   apiservers-stop -> etcd-stop (every member) ->
 *   etcd-restore (per member: its etcd certificates, the snapshot pushed and sha256-checked, the
 *     data directory moved aside, `etcdutl snapshot restore` with the member's name and peer URL,
 *     the inventory's initial cluster and a NEW cluster token) ->
 *   etcd (apply's own phase: config and unit as the inventory says, all members started together,
 *     the health table) ->
 *   etcd-restore-verify (health, leader, same revision = the snapshot's, member list = inventory) ->
 *   apiservers-start (and controller-manager/scheduler restarted so no cache outlives the data) ->
 *   etcd-restore-cleanup (the pushed snapshot copies removed).
 * A host that fails drops out of the later phases, so nothing starts on top of a failed restore.
 */
import type { Phase } from '../phase.js';
import { connect } from './connect.js';
import { lock } from './lock.js';
import { etcd } from './etcd.js';
import { gatherRunnable } from './_units.js';
import { unitBinaries } from './_artifacts.js';
import { etcdMembers, offlineTool } from './_etcd-backup.js';
import { etcdCredentialArtifacts, memberRestoreArgv, remoteSnapshotPath, RESTORE_DIR, restoredMarker, snapshotArtifact, stopStep, type RestoreSpec } from './_etcd-restore.js';
import { restoreReport } from './_etcd-restore-verify.js';
import { putSteps } from '../steps.js';
import { batchProbe } from '../pre-probe.js';

const controlPlane = (plan: Parameters<Phase['hosts']>[0]) => plan.hosts.filter((h) => h.host.roles.includes('control-plane'));
const APISERVER = 'kube-apiserver.service';

/** The etcd binary (`--version`) and the client tools (`version`: etcdctl and etcdutl have no --version flag). */
function neededBinaries(plan: Parameters<Phase['hosts']>[0], h: Parameters<Phase['plan']>[0]['host']): { readonly servers: readonly string[]; readonly tools: readonly string[] } {
  const bin = `${plan.inventory.paths.etcd.replace(/\/+$/, '')}/bin`;
  return { servers: [...unitBinaries(h, 'etcd').values()], tools: [...new Set([`${bin}/etcdctl`, offlineTool(plan)])] };
}

/** Refuses before anything is written when a member cannot run etcd or the snapshot tool. */
export const etcdRestoreCheck: Phase = {
  id: 'etcd-restore-check',
  title: 'Check every member can restore',
  gate: true,
  hosts: etcdMembers,
  gather: async (host, input, ctx) => {
    const { servers, tools } = neededBinaries(input.plan, input.host);
    const got = await gatherRunnable(host, input.facts, servers, ctx);
    const answers = await batchProbe(host, tools.map((t) => [t, 'version']), ctx.signal);
    const runnable = new Map(got.runnable ?? input.facts.runnable ?? []);
    tools.forEach((t, i) => runnable.set(t, answers.get(i)?.exitCode === 0 ? (answers.get(i)?.stdout.split('\n')[0] ?? '') : undefined));
    return { runnable };
  },
  check: ({ plan, host, facts }) =>
    Object.values(neededBinaries(plan, host))
      .flat()
      .filter((b) => facts.runnable?.get(b) === undefined)
      .map((b) => ({
        severity: 'error' as const,
        message: `${b} is missing or does not run on this host`,
        hint: `install the etcd binaries first (a replaced host has none): \`kubesmith apply -i ${plan.inventory.source} --limit ${host.host.name} --only prepare-hosts,binaries,certificates\`, then run the restore again; nothing was written`,
      })),
  plan: () => [],
};

const apiserversStop: Phase = {
  id: 'apiservers-stop',
  title: 'Stop the kube-apiservers',
  hosts: controlPlane,
  plan: () => [stopStep(APISERVER, 'no apiserver may write while etcd is replaced')],
};

const etcdStop: Phase = {
  id: 'etcd-stop',
  title: 'Stop etcd on every member',
  hosts: etcdMembers,
  plan: () => [stopStep('etcd.service', 'every member restores from the same snapshot, so none may run meanwhile')],
};

function etcdRestoreMembers(spec: RestoreSpec): Phase {
  return {
    id: 'etcd-restore',
    title: 'Restore every member from the snapshot',
    hosts: etcdMembers,
    plan: ({ plan, host }) => [
      ...putSteps(etcdCredentialArtifacts(plan, host)),
      { kind: 'mkdir', path: RESTORE_DIR, mode: 0o700 },
      { kind: 'put', artifact: snapshotArtifact(host, spec) },
      {
        kind: 'exec',
        argv: memberRestoreArgv(plan, host, spec),
        unless: ['test', '-e', restoredMarker(spec.token)],
        why: `move the data directory aside, then snapshot restore as ${host.host.name} with cluster token ${spec.token}`,
      },
    ],
  };
}

function restoreVerify(spec: RestoreSpec): Phase {
  return { id: 'etcd-restore-verify', title: 'Check the restored cluster', hosts: etcdMembers, plan: () => [], report: restoreReport(spec), deadlineMs: 180_000 };
}

const apiserversStart: Phase = {
  id: 'apiservers-start',
  title: 'Start the kube-apiservers',
  hosts: controlPlane,
  gather: (host, { host: planned, facts }, ctx) => gatherRunnable(host, facts, [...unitBinaries(planned, 'control-plane').values()], ctx),
  plan: ({ host, facts }) => {
    const bin = unitBinaries(host, 'control-plane').get(APISERVER);
    if (bin === undefined || facts.runnable?.get(bin) === undefined) return [{ kind: 'note', message: `not starting ${APISERVER}: ${bin ?? 'its binary'} does not run here` }];
    return [
      { kind: 'systemd', unit: APISERVER, action: 'start' },
      { kind: 'exec', argv: ['systemctl', 'try-restart', 'kube-controller-manager.service', 'kube-scheduler.service'], why: 'drop caches of the data before the restore (upstream advice)' },
    ];
  },
};

function cleanup(spec: RestoreSpec): Phase {
  const path = remoteSnapshotPath(spec);
  return {
    id: 'etcd-restore-cleanup',
    title: 'Remove the pushed snapshot copies',
    hosts: etcdMembers,
    plan: () => [{ kind: 'exec', argv: ['rm', '-f', path], unless: ['sh', '-c', `! [ -e ${path} ]`], why: 'the snapshot holds every Secret; the restored data directory is what stays' }],
  };
}

/** The restore program. */
export function etcdRestorePhases(spec: RestoreSpec): readonly Phase[] {
  return [connect, lock, etcdRestoreCheck, apiserversStop, etcdStop, etcdRestoreMembers(spec), etcd, restoreVerify(spec), apiserversStart, cleanup(spec)];
}
