/**
 * The planning of `etcd snapshot` and `etcd restore` (pure): which member takes the snapshot, the
 * steps each member gets, the restore flags, retention, names, the parsers of what hosts answer,
 * and the judgement after a restore. Over the example inventory's real plan (renderer + CA fixture).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostFacts, PhaseInput, Step } from '../../../src/deploy/phase.js';
import type { ClusterPlan, PlannedHost } from '../../../src/plan/types.js';
import { etcdSnapshotFetch, etcdSnapshotSave } from '../../../src/deploy/phases/etcd-snapshot.js';
import { etcdRestorePhases, etcdRestoreCheck } from '../../../src/deploy/phases/etcd-restore.js';
import { offlineTool, parseSnapshotInspect, pickSnapshotMember, SNAPSHOT_TMP } from '../../../src/deploy/phases/_etcd-backup.js';
import { memberRestoreArgv, restoreFlags, type RestoreSpec } from '../../../src/deploy/phases/_etcd-restore.js';
import { judgeRestore } from '../../../src/deploy/phases/_etcd-restore-verify.js';
import { backupStamp, parseSnapshotName, pkiTarName, retentionVictims, snapshotFileName } from '../../../src/plan/etcd-backup-names.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

const SHA = 'ab'.repeat(32);
const SPEC: RestoreSpec = { snapshot: { path: '/backups/c-20260101T000000Z-rev9.db', sha256: SHA, size: 4096 }, token: 'kubesmith-c-restore-20260102T030405Z', stamp: '20260102T030405Z' };

const member = (healthy: boolean, id: string, leader: string, revision: number) => ({ healthy, memberId: id, leaderId: leader, revision });

describe('which member takes the snapshot', () => {
  it('the leader when it is healthy', () => {
    const pick = pickSnapshotMember([
      { host: 'a', fact: member(true, '1', '2', 10) },
      { host: 'b', fact: member(true, '2', '2', 10) },
      { host: 'c', fact: member(true, '3', '2', 9) },
    ]);
    expect(pick).toEqual({ host: 'b', why: 'the leader, at revision 10' });
  });
  it('the healthy member at the highest revision when the leader was not reached', () => {
    const pick = pickSnapshotMember([{ host: 'a', fact: member(true, '1', '2', 9) }, { host: 'b' }, { host: 'c', fact: member(true, '3', '2', 12) }]);
    expect(pick).toMatchObject({ host: 'c' });
    expect('why' in pick && pick.why).toMatch(/revision 12/);
  });
  it('never an unhealthy member, even when it is the leader', () => {
    const pick = pickSnapshotMember([{ host: 'a', fact: { ...member(false, '1', '1', 20), error: 'context deadline exceeded' } }, { host: 'b', fact: member(true, '2', '1', 10) }]);
    expect(pick).toMatchObject({ host: 'b' });
  });
  it('refuses without a healthy member, naming why each is not', () => {
    const pick = pickSnapshotMember([{ host: 'a', fact: { healthy: false, error: 'connection refused' } }, { host: 'b' }]);
    expect(pick).toEqual({ error: 'no etcd member is healthy (a: connection refused; b: not reached)' });
  });
  it('refuses when no healthy member follows a leader (no quorum: data may be stale)', () => {
    expect(pickSnapshotMember([{ host: 'a', fact: member(true, '1', '0', 5) }])).toMatchObject({ error: expect.stringMatching(/follows a leader/) });
  });
});

describe('snapshot steps', () => {
  let plan: ClusterPlan;
  beforeAll(async () => {
    plan = await realPlan();
  });
  const members = (): PlannedHost[] => plan.hosts.filter((h) => h.host.roles.includes('etcd'));
  const input = (h: PlannedHost, facts: HostFacts = {}, peers = new Map<string, HostFacts>()): PhaseInput => ({ plan, host: h, facts, activeHosts: members().map((m) => m.host.name), peers });
  const peers = (): Map<string, HostFacts> => new Map(members().map((m, i) => [m.host.name, { etcdMember: member(true, String(i + 1), '2', 40) }]));

  it('exactly one member saves (the leader); the others only drop a leftover', () => {
    const plans = members().map((m) => etcdSnapshotSave.plan(input(m, {}, peers())));
    const savers = plans.filter((steps) => steps.some((s) => s.kind === 'exec' && s.why.startsWith('etcdctl snapshot save')));
    expect(savers).toHaveLength(1);
    expect(plans[1]?.map((s) => s.kind)).toEqual(['note', 'mkdir', 'exec']);
    const save = plans[1]?.find((s): s is Extract<Step, { kind: 'exec' }> => s.kind === 'exec');
    // Against the member's own endpoint, with the healthcheck-client pair, into the fixed temp path.
    expect(save?.argv).toEqual(expect.arrayContaining([`--endpoints=https://${members()[1]?.host.internalIP}:2379`, SNAPSHOT_TMP, '--cert=/opt/etcd/ssl/healthcheck-client.pem']));
    expect(plans[0]).toEqual([expect.objectContaining({ kind: 'exec', argv: ['rm', '-f', SNAPSHOT_TMP, `${SNAPSHOT_TMP}.part`] })]);
  });
  it('no healthy member: the first host of the run reports it once, as an error', () => {
    const none = new Map(members().map((m) => [m.host.name, { etcdMember: { healthy: false, error: 'down' } } as HostFacts]));
    const problems = members().map((m) => etcdSnapshotSave.check?.(input(m, {}, none)) ?? []);
    expect(problems.map((p) => p.length)).toEqual([1, 0, 0]);
    expect(problems[0]?.[0]?.message).toMatch(/no member to take the snapshot from: no etcd member is healthy/);
  });
  it('fetch: the verified snapshot is copied under its cluster/time/revision name, then the host copy removed', () => {
    const fetch = etcdSnapshotFetch({ outDir: '/b', stamp: '20260101T000000Z' });
    const snap = { path: SNAPSHOT_TMP, size: 123, hash: 77, revision: 41, totalKey: 9 };
    const steps = fetch.plan(input(members()[2] as PlannedHost, { etcdSnapshot: snap }, peers()));
    expect(steps).toEqual([
      { kind: 'fetch', path: SNAPSHOT_TMP, to: `/b/${plan.inventory.cluster.name}-20260101T000000Z-rev41.db`, size: 123, why: 'revision 41, 9 keys, etcd hash 77' },
      expect.objectContaining({ kind: 'exec', argv: ['rm', '-f', SNAPSHOT_TMP] }),
    ]);
    expect(fetch.check?.(input(members()[0] as PlannedHost, { etcdSnapshot: { path: SNAPSHOT_TMP, error: 'snapshot status failed: invalid database' } }))?.[0]?.message).toMatch(/does not verify: snapshot status failed/);
  });
});

describe('restore steps', () => {
  let plan: ClusterPlan;
  beforeAll(async () => {
    plan = await realPlan();
  });
  it('the program: stop apiservers before etcd, restore, apply\'s etcd phase, verify, then apiservers', () => {
    expect(etcdRestorePhases(SPEC).map((p) => p.id)).toEqual(['connect', 'lock', 'etcd-restore-check', 'apiservers-stop', 'etcd-stop', 'etcd-restore', 'etcd', 'etcd-restore-verify', 'apiservers-start', 'etcd-restore-cleanup']);
    expect(etcdRestoreCheck.gate).toBe(true);
  });
  it('each member: its etcd credentials, the snapshot (sha256-checked put), then the guarded restore', () => {
    const phase = etcdRestorePhases(SPEC).find((p) => p.id === 'etcd-restore');
    const m = plan.hosts.find((h) => h.host.name === 'node01') as PlannedHost;
    const steps = phase?.plan({ plan, host: m, facts: {}, activeHosts: [] }) ?? [];
    const puts = steps.filter((s): s is Extract<Step, { kind: 'put' }> => s.kind === 'put');
    expect(puts.map((s) => s.artifact.path)).toEqual(expect.arrayContaining(['/opt/etcd/ssl/server.pem', '/opt/etcd/ssl/peer-key.pem', '/var/lib/kubesmith/etcd-restore/snapshot-abababababababab.db']));
    expect(puts.every((s) => s.artifact.path.startsWith('/opt/etcd/') || s.artifact.path.startsWith('/var/lib/kubesmith/'))).toBe(true);
    const snap = puts.find((s) => s.artifact.path.endsWith('.db'));
    expect(snap?.artifact).toMatchObject({ sha256: SHA, mode: 0o600, secret: true, content: { localFile: SPEC.snapshot.path } });
    const exec = steps.at(-1) as Extract<Step, { kind: 'exec' }>;
    expect(exec.unless).toEqual(['test', '-e', `/var/lib/kubesmith/etcd-restore/restored-${SPEC.token}`]);
    expect(exec.argv.slice(4, 9)).toEqual(['/var/lib/kubesmith/etcd-restore/snapshot-abababababababab.db', '/var/lib/etcd', '/var/lib/etcd.before-restore-20260102T030405Z', `/var/lib/kubesmith/etcd-restore/restored-${SPEC.token}`, offlineTool(plan)]);
  });
  it('restore flags: the member\'s name and peer URL, the inventory\'s initial cluster, the new token', () => {
    const m = plan.hosts.find((h) => h.host.name === 'node02') as PlannedHost;
    expect(restoreFlags(plan, m, SPEC.token)).toEqual([
      '--name=node02',
      '--initial-cluster=master01=https://192.168.80.10:2380,node01=https://192.168.80.11:2380,node02=https://192.168.80.12:2380',
      `--initial-cluster-token=${SPEC.token}`,
      '--initial-advertise-peer-urls=https://192.168.80.12:2380',
    ]);
    expect(memberRestoreArgv(plan, m, SPEC)).toEqual(expect.arrayContaining(['--name=node02']));
  });
  it('a member with a new address gets it everywhere (initial cluster and its own peer URL)', async () => {
    const inv = exampleInventory();
    const moved = { ...inv, hosts: inv.hosts.map((h) => (h.name === 'node02' ? { ...h, address: '192.168.80.62', internalIP: '192.168.80.62' } : h)) };
    const p = await realPlan(moved);
    const m = p.hosts.find((h) => h.host.name === 'node02') as PlannedHost;
    expect(restoreFlags(p, m, 't').join(' ')).toMatch(/node02=https:\/\/192\.168\.80\.62:2380.*--initial-advertise-peer-urls=https:\/\/192\.168\.80\.62:2380/);
  });
  it('apiservers stop only while running, and start only where their binary runs', () => {
    const phases = etcdRestorePhases(SPEC);
    const cp = plan.hosts.find((h) => h.host.name === 'master01') as PlannedHost;
    const stop = phases.find((p) => p.id === 'apiservers-stop')?.plan({ plan, host: cp, facts: {}, activeHosts: [] });
    expect(stop).toEqual([expect.objectContaining({ argv: ['systemctl', 'stop', 'kube-apiserver.service'], unless: ['sh', '-c', '! systemctl is-active --quiet kube-apiserver.service'] })]);
    const start = phases.find((p) => p.id === 'apiservers-start');
    expect(start?.plan({ plan, host: cp, facts: { runnable: new Map() }, activeHosts: [] })[0]).toMatchObject({ kind: 'note' });
    const bin = '/opt/kubernetes/bin/kube-apiserver';
    expect(start?.plan({ plan, host: cp, facts: { runnable: new Map([[bin, 'Kubernetes v1.37.2']]) }, activeHosts: [] })[0]).toEqual({ kind: 'systemd', unit: 'kube-apiserver.service', action: 'start' });
  });
  it('a member whose etcd does not run stops the restore before anything is written, naming the command', () => {
    const m = plan.hosts.find((h) => h.host.name === 'node01') as PlannedHost;
    const problems = etcdRestoreCheck.check?.({ plan, host: m, facts: { runnable: new Map() }, activeHosts: [] }) ?? [];
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.hint).toMatch(/kubesmith apply -i .* --limit node01 --only prepare-hosts,binaries,certificates/);
  });
});

describe('after the restore', () => {
  it('healthy, same revision as the snapshot, member list equal to the inventory: no problem', async () => {
    const plan = await realPlan();
    const members = plan.hosts.filter((h) => h.host.roles.includes('etcd'));
    const status = members.map((m, i) => ({ Endpoint: `https://${m.host.internalIP}:2379`, Status: { header: { member_id: String(i + 1), revision: 9 }, leader: '1' } }));
    const list = { members: members.map((m) => ({ name: m.host.name, peerURLs: [`https://${m.host.internalIP}:2380`] })) };
    expect(judgeRestore(members, 9, status, list, new Map(), undefined).problems).toEqual([]);
    const behind = status.map((s, i) => (i === 2 ? { ...s, Status: { ...s.Status, header: { ...s.Status.header, revision: 7 } } } : s));
    expect(judgeRestore(members, 9, behind, list, new Map(), undefined).problems.map((p) => p.message)).toEqual(['at revision 7, below the snapshot\'s 9', expect.stringMatching(/different revisions/)]);
    const stale = { members: [...list.members.slice(0, 2), { name: 'node02', peerURLs: ['https://10.0.0.9:2380'] }] };
    expect(judgeRestore(members, 9, status, stale, new Map(), undefined).problems[0]?.message).toMatch(/member list is .*node02=https:\/\/10\.0\.0\.9:2380/);
  });
});

describe('snapshot names and retention', () => {
  it('names sort by time and parse back; other names never match', () => {
    const stamp = backupStamp(new Date('2026-04-12T09:30:15.123Z'));
    expect(stamp).toBe('20260412T093015Z');
    const name = snapshotFileName('prod.eu', stamp, 812);
    expect(name).toBe('prod.eu-20260412T093015Z-rev812.db');
    expect(parseSnapshotName('prod.eu', name)).toEqual({ stamp, revision: 812 });
    expect(parseSnapshotName('prod', name)).toBeUndefined();
    expect(parseSnapshotName('prodXeu', name)).toBeUndefined(); // the dot is literal
    expect(pkiTarName(name, true)).toBe('prod.eu-20260412T093015Z-rev812-pki.tar.enc');
  });
  it('--keep N deletes only the older sets kubesmith named for this cluster, with their companions', () => {
    const names = [
      'c-20260101T000000Z-rev1.db', 'c-20260101T000000Z-rev1.db.sha256', 'c-20260101T000000Z-rev1-pki.tar',
      'c-20260102T000000Z-rev5.db', 'c-20260102T000000Z-rev5.db.sha256', 'c-20260102T000000Z-rev5-pki.tar.enc',
      'c-20260103T000000Z-rev9.db', 'c-20260103T000000Z-rev9.db.sha256',
      'c-20251231T000000Z-rev0.db.part-1a2b', 'other-20250101T000000Z-rev1.db', 'c-notes.txt', 'c-20250101T000000Z-rev1.db.bak',
    ];
    expect(retentionVictims(names, 'c', 2)).toEqual(['c-20260101T000000Z-rev1.db', 'c-20260101T000000Z-rev1.db.sha256', 'c-20260101T000000Z-rev1-pki.tar']);
    expect(retentionVictims(names, 'c', 1)).toHaveLength(6);
    expect(retentionVictims(names, 'c', 0)).toHaveLength(6); // the newest is always kept
    expect(retentionVictims(names, 'c', 5)).toEqual([]);
  });
});

describe('what the host says about a snapshot file', () => {
  it('absent, verified, or why not', () => {
    expect(parseSnapshotInspect('/s', 'absent\n')).toBeUndefined();
    const ok = `size 20480\nstatus 0 {"hash":3838533914,"revision":41,"totalKey":312,"totalSize":20480}\n`;
    expect(parseSnapshotInspect('/s', ok)).toEqual({ path: '/s', size: 20480, hash: 3838533914, revision: 41, totalKey: 312 });
    // etcdctl 3.5 warns on stderr first (captured into the same line).
    const warned = `size 1\nstatus 0 Deprecated: Use \`etcdutl snapshot status\` instead.  {"hash":1,"revision":2,"totalKey":3,"totalSize":1}\n`;
    expect(parseSnapshotInspect('/s', warned)).toMatchObject({ revision: 2, totalKey: 3 });
    expect(parseSnapshotInspect('/s', `size 1\nstatus 1 Error: invalid database\n`)).toEqual({ path: '/s', error: 'snapshot status failed: Error: invalid database' });
  });
});
