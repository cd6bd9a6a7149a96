/**
 * How each etcd member first starts (render/etcd-membership.ts), the record in cluster.json that
 * carries it, the rendered config, and the join steps around a joiner's start (_etcd-join.ts).
 */
import { describe, expect, it } from 'vitest';
import { etcdBootstraps } from '../../src/render/etcd-membership.js';
import { parseIdentity, serializeIdentity, withEtcdMembers, type ClusterIdentity } from '../../src/pki/identity.js';
import { joinProblems, joinSteps, withJoin } from '../../src/deploy/phases/_etcd-join.js';
import { describeStep } from '../../src/deploy/steps.js';
import type { Step } from '../../src/deploy/phase.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { realPlan } from '../deploy/phases/_real-plan.js';

const inv = exampleInventory({
  hosts: [aHost('m1', '10.0.0.1', ['control-plane', 'etcd']), aHost('m2', '10.0.0.2', ['worker', 'etcd']), aHost('m3', '10.0.0.3', ['worker', 'etcd']), aHost('m4', '10.0.0.4', ['worker', 'etcd'])],
});
const three = 'm1=https://10.0.0.1:2380,m2=https://10.0.0.2:2380,m3=https://10.0.0.3:2380';
const founders = { m1: { initialClusterState: 'new', initialCluster: three }, m2: { initialClusterState: 'new', initialCluster: three }, m3: { initialClusterState: 'new', initialCluster: three } } as const;

describe('etcdBootstraps', () => {
  it('no record: every member is a founder listing every member (what was always rendered)', () => {
    const b = etcdBootstraps(inv, undefined);
    expect(b.joiners).toEqual([]);
    expect(b.members.get('m4')).toEqual({ initialClusterState: 'new', initialCluster: `${three},m4=https://10.0.0.4:2380` });
  });

  it('recorded founders keep their values; a member not recorded joins with the running members and itself', () => {
    const b = etcdBootstraps(inv, founders);
    expect(b.joiners).toEqual(['m4']);
    expect(b.members.get('m1')).toEqual(founders.m1);
    expect(b.members.get('m4')).toEqual({ initialClusterState: 'existing', initialCluster: `${three},m4=https://10.0.0.4:2380` });
  });

  it('a removed member stays in the founders\' list as recorded; a member that moved is listed at its new address', () => {
    const moved = { ...inv, hosts: inv.hosts.filter((h) => h.name !== 'm3' && h.name !== 'm4').map((h) => (h.name === 'm2' ? { ...h, internalIP: '10.0.9.2' } : h)) };
    const b = etcdBootstraps(moved, founders);
    expect(b.joiners).toEqual([]);
    expect(b.members.get('m1')?.initialCluster).toBe('m1=https://10.0.0.1:2380,m2=https://10.0.9.2:2380,m3=https://10.0.0.3:2380');
  });
});

describe('the record in cluster.json', () => {
  const id: ClusterIdentity = { cluster: 'demo', createdAt: '2026-12-01T00:00:00.000Z', fingerprints: {}, replaced: [] };
  it('round-trips, sorted by member; an unchanged note returns the same record; a damaged entry is refused', () => {
    const noted = withEtcdMembers(id, new Map([['m2', founders.m2], ['m1', founders.m1]]));
    const text = serializeIdentity(noted);
    expect(Object.keys(JSON.parse(text).etcdMembers)).toEqual(['m1', 'm2']);
    expect(parseIdentity(text, 'cluster.json')).toEqual(noted);
    expect(withEtcdMembers(noted, new Map([['m1', founders.m1]]))).toBe(noted);
    expect(serializeIdentity(id)).not.toContain('etcdMembers'); // a record without members is what older versions wrote
    expect(() => parseIdentity(text.replace('"new"', '"maybe"'), 'cluster.json')).toThrow(/etcdMembers\.m1 needs initialClusterState \(new\|existing\)/);
  });
});

describe('joining through the plan', () => {
  const withRecord = async (hosts: readonly string[]) => {
    const identity: ClusterIdentity = { cluster: 'demo', createdAt: 'x', fingerprints: {}, replaced: [], etcdMembers: founders };
    return realPlan({ ...inv, hosts: inv.hosts.filter((h) => hosts.includes(h.name)) }, (b) => ({ ...b, identity }));
  };

  it('renders `existing` for the joiner only, adds it as a learner before its start and promotes it after', async () => {
    const plan = await withRecord(['m1', 'm2', 'm3', 'm4']);
    const conf = (h: string): string => String(plan.hosts.find((x) => x.host.name === h)?.artifacts.find((a) => a.path.endsWith('etcd.conf.yml'))?.content);
    expect(conf('m4')).toContain('initial-cluster-state: existing');
    expect(conf('m1')).toContain('initial-cluster-state: new');
    expect(conf('m1')).toContain(`initial-cluster: ${three}\n`);
    const m4 = plan.hosts.find((h) => h.host.name === 'm4');
    if (!m4) throw new Error('no m4');
    const base: Step[] = [{ kind: 'systemd', unit: 'etcd.service', action: 'enable' }, { kind: 'systemd', unit: 'etcd.service', action: 'restart', when: 'changed' }, { kind: 'systemd', unit: 'etcd.service', action: 'start' }];
    const steps = withJoin(base, joinSteps(plan, m4)).map(describeStep);
    expect(steps).toEqual([
      'enable etcd.service',
      'etcdctl member add m4 --peer-urls=https://10.0.0.4:2380 --learner (through m1, m2, m3)',
      'restart etcd.service',
      'start etcd.service',
      'etcdctl member promote m4 (once in sync)',
    ]);
    expect(withJoin(base.slice(0, 1), joinSteps(plan, m4)).map(describeStep).at(-1)).toMatch(/^once etcd runs here: etcdctl member add m4 .* then etcdctl member promote m4/);
    const m1 = plan.hosts.find((h) => h.host.name === 'm1');
    if (!m1) throw new Error('no m1');
    expect(withJoin(base, joinSteps(plan, m1))).toEqual(base);
  });

  it('two joiners at once are refused on each of them, before anything is written', async () => {
    const five = { ...inv, hosts: [...inv.hosts, aHost('m5', '10.0.0.5', ['worker', 'etcd'])] };
    const p = await realPlan(five, (b) => ({ ...b, identity: { cluster: 'demo', createdAt: 'x', fingerprints: {}, replaced: [], etcdMembers: founders } }));
    expect(joinProblems(p, 'm4')[0]?.message).toMatch(/^m4, m5 are all new etcd members of a running cluster/);
    expect(joinProblems(p, 'm5')).toHaveLength(1);
    expect(joinProblems(p, 'm1')).toEqual([]);
  });
});
