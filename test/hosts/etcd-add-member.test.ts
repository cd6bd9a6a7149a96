/**
 * Issue #10 part 2 on real hosts with real etcd: a fourth member added to a running 3-member
 * cluster by an inventory edit + `kubesmith apply`, while a client writes every 50 ms (1 s budget,
 * the three original endpoints). apply adds it as a learner through the running members, starts it
 * with `initial-cluster-state: existing`, and promotes it once in sync (phases/_etcd-join.ts).
 * Proven: no write refused, every acknowledged write reads back, the cluster has 4 voting started
 * members, the 3 original members were not restarted (their config is rendered from the record in
 * cluster.json, so it did not change), the new member is recorded as `existing`, and the next apply
 * changes nothing. Two new members at once are refused before anything is written.
 * Then `kubesmith remove e3` takes it out again (4 -> 3) under the same write load, with e3 made
 * the leader first (the removal moves the leadership away before `member remove`): no write
 * refused, 3 voting members, etcd stopped and disabled on e3 with kubesmith's files gone and the data moved
 * aside, its certificates archived in the state and e3 out of the record. A removal that would
 * leave no quorum (two of four members down) and a host with other roles are refused unchanged.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { etcdctlFromTest, runCli, summaryOf, setupApplyEnv, type ApplyEnv } from './apply-env.js';
import { EtcdWriteLoad } from './etcd-write-load.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/etcd-add-member.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'e1', roles: ['etcd'] },
  { name: 'e2', roles: ['etcd'] },
  { name: 'e3', roles: ['etcd'] },
  { name: 'e4', roles: ['etcd'] },
];
const FIRST = ['cp1', 'e1', 'e2'];

interface Member {
  readonly name: string;
  readonly status: string;
  readonly learner: boolean;
}
const members = (env: ApplyEnv, from: readonly string[]): Member[] =>
  etcdctlFromTest(env, from, ['member', 'list', '-w', 'simple'])
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(', '))
    .map((c) => ({ name: c[2] ?? '', status: c[1] ?? '', learner: c[5] === 'true' }))
    .sort((a, b) => a.name.localeCompare(b.name));

/** The healthcheck-client pair as deployed on cp1: the write load's identity. */
const clientOf = (env: ApplyEnv) => {
  const h = env.group.host('cp1');
  return { ca: Buffer.from(h.readFile('/opt/etcd/ssl/ca.pem')), cert: Buffer.from(h.readFile('/opt/etcd/ssl/healthcheck-client.pem')), key: Buffer.from(h.readFile('/opt/etcd/ssl/healthcheck-client-key.pem')) };
};

describe.skipIf(!can.ok)('adding an etcd member to a running cluster', () => {
  let env: ApplyEnv;
  /** Inventories with only `names` of the booted hosts. */
  const inventoryWith = (file: string, names: readonly string[]): string => {
    const all = readFileSync(env.inventory, 'utf8').split('\n');
    const path = join(env.dir, file);
    writeFileSync(path, all.filter((l) => !/^\s+- \{ name: (\w+),/.test(l) || names.includes(/name: (\w+),/.exec(l)?.[1] ?? '')).join('\n'));
    return path;
  };
  const startedAt = async (host: string): Promise<string> => (await env.group.host(host).ssh('systemctl show -p ActiveEnterTimestampMonotonic --value etcd')).stdout.trim();
  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS);
  }, 300_000);
  afterAll(async () => {
    await env?.close();
  });

  it('a 3-member cluster, then a fourth member joins under a write load: no write refused, no original member restarted', async () => {
    const three = inventoryWith('three.yaml', FIRST);
    const first = await env.apply([], three);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(env.stateDir, 'pki', 'cluster.json'), 'utf8')).etcdMembers).toMatchObject({
      cp1: { initialClusterState: 'new' },
      e1: { initialClusterState: 'new' },
      e2: { initialClusterState: 'new' },
    });
    const before = new Map(await Promise.all(FIRST.map(async (h) => [h, await startedAt(h)] as const)));

    // Two new members at once: refused in preflight, nothing written.
    const five = inventoryWith('five.yaml', HOSTS.map((h) => h.name));
    const refused = await env.apply([], five);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/e3, e4 are all new etcd members of a running cluster: etcd takes one new member at a time/);
    expect((await env.group.host('e3').ssh('test -e /opt/etcd/cfg/etcd.conf.yml')).code).toBe(1);

    const from = env.group.host('cp1');
    const load = new EtcdWriteLoad({ endpoints: FIRST.map((m) => `https://${env.group.host(m).ip}:2379`), ...clientOf(env), prefix: '/kubesmith-join/' });
    load.start();
    await new Promise((r) => setTimeout(r, 1500));
    const four = inventoryWith('four.yaml', [...FIRST, 'e3']);
    const dry = await env.apply(['--dry-run'], four);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/once etcd runs here: etcdctl member add e3 --peer-urls=https:\/\/[\d.]+:2380 --learner \(through cp1, e1, e2\)/);
    const t0 = Date.now();
    const run = await env.apply([], four);
    const applyMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1500));
    const result = await load.stop();
    expect(run.code, run.stderr).toBe(0);
    const stored = await load.readBack(`https://${from.ip}:2379`);
    const lost = result.acked.filter((w) => stored.get(w.seq) !== w.value);
    console.log(`etcd member added under a 50 ms write load (etcd ${env.bundle.etcdVersion}): apply ${(applyMs / 1000).toFixed(1)} s; writes ${result.writes}, refused ${result.refused}, lost ${lost.length}, longest pause ${result.maxPauseMs} ms, p99 ${result.p99Ms} ms`);

    expect(members(env, FIRST)).toEqual([...FIRST, 'e3'].sort().map((name) => ({ name, status: 'started', learner: false })));
    const config = env.group.host('e3').readFile('/opt/etcd/cfg/etcd.conf.yml');
    expect(config).toContain('initial-cluster-state: existing');
    for (const h of FIRST) expect(env.group.host(h).readFile('/opt/etcd/cfg/etcd.conf.yml')).toContain('initial-cluster-state: new');
    // The original members were neither rewritten nor restarted.
    expect(new Map(await Promise.all(FIRST.map(async (h) => [h, await startedAt(h)] as const)))).toEqual(before);
    expect(summaryOf(run).filter((s) => FIRST.includes(s.host) && s.restarted.includes('etcd.service')).map((s) => s.host)).toEqual([]);
    expect(JSON.parse(readFileSync(join(env.stateDir, 'pki', 'cluster.json'), 'utf8')).etcdMembers.e3).toMatchObject({ initialClusterState: 'existing' });
    expect({ refused: result.refused, lost: lost.length, errors: result.refusedErrors.slice(0, 5) }).toEqual({ refused: 0, lost: 0, errors: [] });
    const health = JSON.parse(etcdctlFromTest(env, [...FIRST, 'e3'], ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true, true]);
  }, 600_000);

  it('the next apply changes nothing on any member', async () => {
    const again = await env.apply([], join(env.dir, 'four.yaml'));
    expect(again.code, again.stderr).toBe(0);
    expect(summaryOf(again).filter((s) => s.changed > 0 || s.restarted.length > 0)).toEqual([]);
  }, 300_000);

  it('remove: refused unchanged without a quorum or for the only control-plane host; e3 (made leader) leaves under a write load', async () => {
    const four = join(env.dir, 'four.yaml');
    const cp = await runCli(['remove', '-i', four, 'cp1'], env.dir);
    expect(cp.code).not.toBe(0);
    expect(cp.stderr).toMatch(/remove: cp1 is the only control-plane host: the cluster would have no API/);
    await Promise.all(['e1', 'e2'].map((h) => env.group.host(h).ssh('systemctl stop etcd')));
    const noQuorum = await runCli(['remove', '-i', four, 'e3'], env.dir);
    await Promise.all(['e1', 'e2'].map((h) => env.group.host(h).ssh('systemctl start etcd')));
    expect(noQuorum.code).not.toBe(0);
    expect(noQuorum.stderr).toMatch(/not removing e3: 0 of the 3 remaining members are healthy \(none\): the removal needs 3 healthy members now/);
    expect(members(env, FIRST).map((m) => m.name)).toEqual(['cp1', 'e1', 'e2', 'e3']);
    expect((await env.group.host('e3').ssh('systemctl is-active etcd')).stdout.trim()).toBe('active');

    // (two of four down: the cluster has no quorum, so no member answers as healthy)
    // (two of four down: no quorum, so no member answers as healthy)
    // e3 leads: the removal must hand the leadership over first.
    const ids = new Map(etcdctlFromTest(env, FIRST, ['member', 'list', '-w', 'simple']).split('\n').filter(Boolean).map((l) => [l.split(', ')[2], l.split(', ')[0]]));
    etcdctlFromTest(env, [...FIRST, 'e3'], ['move-leader', ids.get('e3') ?? '']);
    const from = env.group.host('cp1');
    const load = new EtcdWriteLoad({ endpoints: FIRST.map((m) => `https://${env.group.host(m).ip}:2379`), ...clientOf(env), prefix: '/kubesmith-remove/' });
    const dry = await runCli(['remove', '-i', four, 'e3', '--dry-run'], env.dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/etcdctl move-leader [0-9a-f]+ \(e3 leads\), then etcdctl member remove e3/);
    load.start();
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    const run = await runCli(['remove', '-i', four, 'e3'], env.dir);
    const ms = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1500));
    const result = await load.stop();
    expect(run.code, run.stderr).toBe(0);
    const stored = await load.readBack(`https://${from.ip}:2379`);
    const lost = result.acked.filter((w) => stored.get(w.seq) !== w.value);
    console.log(`etcd member removed under a 50 ms write load (it was the leader): remove ${(ms / 1000).toFixed(1)} s; writes ${result.writes}, refused ${result.refused}, lost ${lost.length}, longest pause ${result.maxPauseMs} ms, p99 ${result.p99Ms} ms`);
    expect(members(env, FIRST)).toEqual(FIRST.map((name) => ({ name, status: 'started', learner: false })));
    expect({ refused: result.refused, lost: lost.length, errors: result.refusedErrors.slice(0, 5) }).toEqual({ refused: 0, lost: 0, errors: [] });
    const e3 = env.group.host('e3');
    expect((await e3.ssh('systemctl is-active etcd; systemctl is-enabled etcd')).stdout.split('\n').slice(0, 2)).toEqual(['inactive', 'disabled']);
    for (const f of ['/opt/etcd/cfg/etcd.conf.yml', '/etc/systemd/system/etcd.service', '/opt/etcd/ssl/server-key.pem', '/opt/etcd/bin/etcd', '/var/lib/etcd']) expect(existsSync(e3.path(f)), f).toBe(false);
    expect(existsSync(e3.path('/var/lib/etcd.removed/member')), 'the data, moved aside').toBe(true);
    const pki = join(env.stateDir, 'pki');
    expect(readdirSync(pki).filter((n) => n.includes('@e3'))).toEqual([]);
    const archive = join(pki, 'archive');
    expect(readdirSync(archive).flatMap((d) => readdirSync(join(archive, d))).filter((n) => n.includes('@e3')).length).toBeGreaterThan(0);
    expect(Object.keys(JSON.parse(readFileSync(join(pki, 'cluster.json'), 'utf8')).etcdMembers).sort()).toEqual([...FIRST].sort());
    expect(run.stdout).toMatch(/next: delete e3 from .*four\.yaml, then run `kubesmith apply/);
    // The inventory without e3: members change nothing (their configs come from the record).
    const after = await env.apply([], join(env.dir, 'three.yaml'));
    expect(after.code, after.stderr).toBe(0);
    expect(summaryOf(after).filter((s) => s.restarted.includes('etcd.service'))).toEqual([]);
  }, 600_000);
});
