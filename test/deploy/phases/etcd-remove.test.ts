/**
 * Who removes an etcd member, and when nobody may (etcd-remove.ts removalPick): the quorum now and
 * after, the only member, the leader handing over first. The removal itself runs on real etcd in
 * test/hosts/etcd-add-member.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { removalPick, etcdTeardown } from '../../../src/deploy/phases/etcd-remove.js';
import type { HostFacts, PhaseInput } from '../../../src/deploy/phase.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { describeStep } from '../../../src/deploy/steps.js';
import { aHost, exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

const ids: Record<string, string> = { m1: '11', m2: '22', m3: '33', m4: '44' };
const input = (plan: ClusterPlan, healthy: readonly string[], leader = 'm1'): PhaseInput => ({
  plan,
  host: plan.hosts[0] as PhaseInput['host'],
  facts: {},
  activeHosts: [],
  peers: new Map<string, HostFacts>(Object.keys(ids).map((m) => [m, { etcdMember: { healthy: healthy.includes(m), memberId: ids[m] ?? '', leaderId: ids[leader] ?? '' } }])),
});

describe('removalPick', async () => {
  const plan = await realPlan(exampleInventory({ hosts: ['1', '2', '3', '4'].map((i) => aHost(`m${i}`, `10.0.0.${i}`, ['etcd'])) }));
  it('picks the leader, or hands the leadership over first when the member to remove leads', () => {
    expect(removalPick(input(plan, ['m1', 'm2', 'm3', 'm4'], 'm2'), 'm4')).toEqual({ host: 'm2' });
    expect(removalPick(input(plan, ['m1', 'm2', 'm3', 'm4'], 'm4'), 'm4')).toEqual({ host: 'm1', moveLeaderTo: (11).toString(16) });
  });
  it('refuses when the members would not keep a quorum now or after, naming the healthy ones', () => {
    expect(removalPick(input(plan, ['m1', 'm4']), 'm4')).toEqual({ error: expect.stringMatching(/^1 of the 3 remaining members are healthy \(m1\): the removal needs 3 healthy members now and leaves 2 needed after/) });
    // A dead member is removable while the rest keep both quorums.
    expect(removalPick(input(plan, ['m1', 'm2', 'm3']), 'm4')).toEqual({ host: 'm1' });
    expect(removalPick(input(plan, ['m1', 'm2', 'm3']), 'nope')).toEqual({ error: 'nope is not an etcd member in the inventory' });
  });
  it('the only member is refused; teardown moves the data aside, never deletes it', async () => {
    const one = await realPlan(exampleInventory({ hosts: [aHost('m1', '10.0.0.1', ['etcd'])] }));
    expect(removalPick(input(one, ['m1']), 'm1')).toEqual({ error: "m1 is the only etcd member: removing it removes the cluster's data" });
    const steps = etcdTeardown('m4', false).plan({ ...input(plan, []), host: plan.hosts[3] as PhaseInput['host'] }).map(describeStep);
    expect(steps.at(-1)).toBe('move /var/lib/etcd aside to /var/lib/etcd.removed');
    expect(steps.some((s) => s.startsWith('rm -rf') || s.includes('rm -rf'))).toBe(false);
  });
});
