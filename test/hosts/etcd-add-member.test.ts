/**
 * Issue #10 part 2 on real hosts with real etcd: a fourth member added to a running 3-member
 * cluster by an inventory edit + `kubesmith apply`, while a client writes every 50 ms (1 s budget,
 * the three original endpoints). apply adds it as a learner through the running members, starts it
 * with `initial-cluster-state: existing`, and promotes it once in sync (phases/_etcd-join.ts).
 * Proven: no write refused, every acknowledged write reads back, the cluster has 4 voting started
 * members, the 3 original members were not restarted (their config is rendered from the record in
 * cluster.json, so it did not change), the new member is recorded as `existing`, and the next apply
 * changes nothing. Two new members at once are refused before anything is written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { etcdctlFromTest, summaryOf, setupApplyEnv, type ApplyEnv } from './apply-env.js';
import { EtcdWriteLoad } from './etcd-write-load.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/etcd-add-member.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
  { name: 'wk3', roles: ['etcd', 'worker'] },
  { name: 'wk4', roles: ['etcd', 'worker'] },
];
const FIRST = ['cp1', 'wk1', 'wk2'];

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
      wk1: { initialClusterState: 'new' },
      wk2: { initialClusterState: 'new' },
    });
    const before = new Map(await Promise.all(FIRST.map(async (h) => [h, await startedAt(h)] as const)));

    // Two new members at once: refused in preflight, nothing written.
    const five = inventoryWith('five.yaml', HOSTS.map((h) => h.name));
    const refused = await env.apply([], five);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/wk3, wk4 are all new etcd members of a running cluster: etcd takes one new member at a time/);
    expect((await env.group.host('wk3').ssh('test -e /opt/etcd/cfg/etcd.conf.yml')).code).toBe(1);

    const from = env.group.host('cp1');
    const client = { ca: Buffer.from(from.readFile('/opt/etcd/ssl/ca.pem')), cert: Buffer.from(from.readFile('/opt/etcd/ssl/healthcheck-client.pem')), key: Buffer.from(from.readFile('/opt/etcd/ssl/healthcheck-client-key.pem')) };
    const load = new EtcdWriteLoad({ endpoints: FIRST.map((m) => `https://${env.group.host(m).ip}:2379`), ...client, prefix: '/kubesmith-join/' });
    load.start();
    await new Promise((r) => setTimeout(r, 1500));
    const four = inventoryWith('four.yaml', [...FIRST, 'wk3']);
    const dry = await env.apply(['--dry-run'], four);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/once etcd runs here: etcdctl member add wk3 --peer-urls=https:\/\/[\d.]+:2380 --learner \(through cp1, wk1, wk2\)/);
    const t0 = Date.now();
    const run = await env.apply([], four);
    const applyMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1500));
    const result = await load.stop();
    expect(run.code, run.stderr).toBe(0);
    const stored = await load.readBack(`https://${from.ip}:2379`);
    const lost = result.acked.filter((w) => stored.get(w.seq) !== w.value);
    console.log(`etcd member added under a 50 ms write load (etcd ${env.bundle.etcdVersion}): apply ${(applyMs / 1000).toFixed(1)} s; writes ${result.writes}, refused ${result.refused}, lost ${lost.length}, longest pause ${result.maxPauseMs} ms, p99 ${result.p99Ms} ms`);

    expect(members(env, FIRST)).toEqual([...FIRST, 'wk3'].sort().map((name) => ({ name, status: 'started', learner: false })));
    const config = env.group.host('wk3').readFile('/opt/etcd/cfg/etcd.conf.yml');
    expect(config).toContain('initial-cluster-state: existing');
    for (const h of FIRST) expect(env.group.host(h).readFile('/opt/etcd/cfg/etcd.conf.yml')).toContain('initial-cluster-state: new');
    // The original members were neither rewritten nor restarted.
    expect(new Map(await Promise.all(FIRST.map(async (h) => [h, await startedAt(h)] as const)))).toEqual(before);
    expect(summaryOf(run).filter((s) => FIRST.includes(s.host) && s.restarted.includes('etcd.service')).map((s) => s.host)).toEqual([]);
    expect(JSON.parse(readFileSync(join(env.stateDir, 'pki', 'cluster.json'), 'utf8')).etcdMembers.wk3).toMatchObject({ initialClusterState: 'existing' });
    expect({ refused: result.refused, lost: lost.length, errors: result.refusedErrors.slice(0, 5) }).toEqual({ refused: 0, lost: 0, errors: [] });
    const health = JSON.parse(etcdctlFromTest(env, [...FIRST, 'wk3'], ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true, true]);
  }, 600_000);

  it('the next apply changes nothing on any member', async () => {
    const again = await env.apply([], join(env.dir, 'four.yaml'));
    expect(again.code, again.stderr).toBe(0);
    expect(summaryOf(again).filter((s) => s.changed > 0 || s.restarted.length > 0)).toEqual([]);
  }, 300_000);
});
