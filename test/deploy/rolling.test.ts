/**
 * Rolling restarts (deploy/rolling.ts, rollout-plan.ts, phases/_rolling.ts): the order and batches
 * as data, and the whole APPLY_PHASES program on the fake fleet with a simulated etcd cluster:
 * a first installation starts every member at once, a renewal restarts one member at a time
 * (never two down), each after the gate; a failed gate stops the rollout, names the host, the gate
 * and how to resume, and the next apply resumes with the hosts not yet restarted.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutTier } from '../../src/deploy/phase.js';
import { batchSizeOf, describeRollout, rolloutWaves } from '../../src/deploy/rollout-plan.js';
import { NODES_ROLLING } from '../../src/deploy/phases/_rolling.js';
import { PENDING_RESTART_DIR } from '../../src/deploy/dry-run.js';
import { PhaseError } from '../../src/shared/errors.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { aPlan } from './_plan.js';
import { apply, installed, renewed } from './_rolling-fleet.js';

describe('rollout order as data', () => {
  const tier = (label: string, hosts: string[], batchSize: number): RolloutTier => ({ label, hosts, batchSize, why: '' });

  it('batch sizes: a count, or a percentage rounded down, at least 1, never more than the group', () => {
    expect(batchSizeOf('20%', 10)).toBe(2);
    expect(batchSizeOf('20%', 3)).toBe(1);
    expect(batchSizeOf('20%', 0)).toBe(1);
    expect(batchSizeOf('100%', 7)).toBe(7);
    expect(batchSizeOf(3, 2)).toBe(2);
    expect(batchSizeOf(1, 5)).toBe(1);
  });

  it('waves: unhealthy or expired hosts together first, tiers in order, batches, the leader last', () => {
    const tiers = [tier('cp', ['c1', 'c2'], 1), tier('workers', ['w1', 'w2', 'w3', 'w4', 'w5'], 2)];
    const all = new Set(['c1', 'c2', 'w1', 'w2', 'w3', 'w4', 'w5']);
    expect(rolloutWaves(tiers, all).map((w) => w.hosts)).toEqual([['c1'], ['c2'], ['w1', 'w2'], ['w3', 'w4'], ['w5']]);
    // only hosts with a change restart; the batch size stays that of the whole tier
    expect(rolloutWaves(tiers, new Set(['c2', 'w2', 'w4', 'w5'])).map((w) => w.hosts)).toEqual([['c2'], ['w2', 'w4'], ['w5']]);
    const waves = rolloutWaves([tier('etcd', ['e1', 'e2', 'e3'], 1)], new Set(['e1', 'e2', 'e3']), { first: new Map([['e3', 'not healthy']]), last: ['e1'] });
    expect(waves).toEqual([{ hosts: ['e3'], together: 'not healthy' }, { hosts: ['e2'] }, { hosts: ['e1'] }]);
    expect(describeRollout('etcd', waves, 'G')).toBe('etcd: e3 restart together first (not healthy), then rolling restart e2 -> e1, each gated by G');
    expect(describeRollout('nodes', rolloutWaves(tiers, all), 'G')).toBe('nodes: rolling restart c1 -> c2 -> {w1, w2} -> {w3, w4} -> w5, each batch gated by G');
  });

  it('nodes: control-plane nodes at the control-plane batch size, then workers by concurrency.restarts.workers', () => {
    const workers = Array.from({ length: 10 }, (_, i) => aHost(`w${i}`, `10.0.0.${10 + i}`, ['worker']));
    const inventory = exampleInventory({
      hosts: [aHost('c1', '10.0.0.1', ['control-plane', 'etcd']), aHost('c2', '10.0.0.2', ['control-plane']), ...workers],
      concurrency: { hosts: 10, uploads: 4, restarts: { controlPlane: 1, workers: '30%' } },
    });
    const plan = { ...aPlan(), inventory, hosts: inventory.hosts.map((host) => ({ host, artifacts: [], units: [] })) };
    const tiers = NODES_ROLLING.tiers(plan, plan.hosts);
    expect(tiers.map((t) => [t.label, t.hosts.length, t.batchSize])).toEqual([['control-plane nodes', 2, 1], ['workers', 10, 3]]);
    expect(tiers[1]?.why).toBe('concurrency.restarts.workers 30% of 10 = 3 at a time');
  });
});

describe('rolling restart on the fake fleet with a simulated etcd', () => {
  it('renewed etcd certificates: one member at a time, the leader last, each after the gate; never two down', async () => {
    const { plan, fleet, sim } = await installed();
    const next = renewed(plan, ['master01', 'node01', 'node02'], 'renewed');
    for (const f of fleet.values()) f.log.length = 0;
    const dry = await apply(next, fleet, { dryRun: true });
    expect(dry.error).toBeUndefined();
    // dry-run shows the same order (its one look at the cluster finds master01 leading) and writes nothing
    expect(dry.rollout).toEqual(['would run: etcd: rolling restart node01 -> node02 -> master01, each gated by member health + leader + revision agreement (master01 last: the current leader, so the cluster elects once)']);
    for (const f of fleet.values()) expect(f.mutations()).toEqual([]);
    expect(sim.restarts).toEqual([]);

    const run = await apply(next, fleet);
    expect(run.error).toBeUndefined();
    expect(run.rollout[0]).toBe('etcd: rolling restart node01 -> node02 -> master01, each gated by member health + leader + revision agreement (master01 last: the current leader, so the cluster elects once)');
    expect(run.rollout.slice(1).map((l) => l.split(':')[0])).toEqual(['node01', 'node02', 'master01']);
    expect(run.rollout[1]).toMatch(/^node01: restarted etcd.service; member health \+ leader \+ revision agreement: ok \(\d+\.\d s, 1\/3\)$/);
    expect(sim.restarts).toEqual(['node01', 'node02', 'master01']);
    expect(sim.maxDown).toBe(1);
    // each member was looked at until it was back and caught up before the next one restarted
    expect(sim.looks).toBeGreaterThanOrEqual(1 + 3 * (sim.downLooks + 2));
    // the per-host pass deferred the restart; the summary counts the rolling restart
    const step = run.events.find((e) => e.type === 'step' && e.host === 'node01' && e.step === 'restart etcd.service' && e.status === 'skipped');
    expect(step).toMatchObject({ detail: expect.stringContaining('rolling restart') });
    expect(run.hosts.filter((h) => h.restarted.includes('etcd.service')).map((h) => h.host).sort()).toEqual(['master01', 'node01', 'node02']);
    for (const m of ['master01', 'node01', 'node02']) expect(fleet.get(m)?.files.has(`${PENDING_RESTART_DIR}/etcd.service`)).toBe(false);

    const again = await apply(next, fleet);
    expect(again.error).toBeUndefined();
    expect(again.rollout).toEqual([]);
    expect(sim.restarts).toHaveLength(3);
  });

  it('a failed gate stops the rollout, names host and gate, keeps the rest pending; the next apply resumes', async () => {
    const { plan, fleet, sim } = await installed();
    const next = renewed(plan, ['master01', 'node01', 'node02'], 'renewed');
    // node02 will not come back after its restart
    const origAttach = sim.restarts.length;
    fleet.get('node02')?.on('systemctl restart etcd.service', () => {
      sim.restarts.push('node02');
      sim.member('node02').stuck = true;
      return { exitCode: 0, stdout: '', stderr: '' };
    });
    const run = await apply(next, fleet, { timeoutMs: 1_500 });
    expect(run.error).toBeInstanceOf(PhaseError);
    const err = run.error as PhaseError;
    expect(err.failures.map((f) => f.host)).toEqual(['node02']);
    expect(err.failures[0]?.error.message).toMatch(/rolling restart stopped after restarting node02: member health \+ leader \+ revision agreement not reached within 2 s: node02: unhealthy: livez: curl: \(7\) Failed to connect/);
    expect(err.hint).toMatch(/master01 was not restarted and keep running on the files they started with/);
    expect(err.hint).toMatch(/journalctl -u etcd.service/);
    expect(err.hint).toMatch(/run `kubesmith apply` again: it resumes the rollout/);
    expect(sim.restarts.slice(origAttach)).toEqual(['node01', 'node02']);
    expect(sim.maxDown).toBe(1);
    // the run stopped after etcd: no later phase ran
    expect(run.events.some((e) => e.type === 'phase-start' && e.phase === 'control-plane')).toBe(false);
    const done = run.events.find((e) => e.type === 'run-done');
    expect(done?.type === 'run-done' && done.hosts.find((h) => h.host === 'node02')?.failedIn).toBe('etcd');
    // master01 still has its marker: the next run restarts it
    expect(fleet.get('master01')?.files.has(`${PENDING_RESTART_DIR}/etcd.service`)).toBe(true);
    expect(fleet.get('node02')?.files.has(`${PENDING_RESTART_DIR}/etcd.service`)).toBe(false);

    // the operator fixes node02; apply resumes with master01 only
    sim.member('node02').stuck = false;
    const resumed = await apply(next, fleet);
    expect(resumed.error).toBeUndefined();
    expect(resumed.rollout[0]).toBe('etcd: rolling restart master01, each gated by member health + leader + revision agreement');
    expect(sim.restarts.slice(origAttach)).toEqual(['node01', 'node02', 'master01']);
    expect(fleet.get('master01')?.files.has(`${PENDING_RESTART_DIR}/etcd.service`)).toBe(false);
  });

  it('an unhealthy member that restarts goes first; one that has nothing to restart stops the rollout before it starts', async () => {
    const { plan, fleet, sim } = await installed();
    sim.member('node02').broken = true;
    const first = renewed(plan, ['master01', 'node01', 'node02'], 'renewed');
    const run = await apply(first, fleet);
    expect(run.error).toBeUndefined();
    expect(run.rollout[0]).toMatch(/^etcd: node02 restart together first \(not healthy before the rollout: unhealthy: readyz: linearizable_read failed: etcdserver: leader changed\), then rolling restart node01 -> master01, each gated by/);
    expect(sim.restarts).toEqual(['node02', 'node01', 'master01']);

    // node02 breaks again, but only master01 and node01 have new certificates: restarting them
    // now could leave the cluster without quorum, so nothing restarts.
    sim.member('node02').broken = true;
    const stopped = await apply(renewed(first, ['master01', 'node01'], 'second renewal'), fleet, { timeoutMs: 1_000 });
    expect(stopped.error).toBeInstanceOf(PhaseError);
    const err = stopped.error as PhaseError;
    expect(err.failures.map((f) => f.host)).toEqual(['node02']);
    expect(err.failures[0]?.error.message).toMatch(/rolling restart not started: member health \+ leader \+ revision agreement does not hold after waiting 1 s: node02: unhealthy/);
    expect(err.hint).toMatch(/^nothing was restarted: restarting master01, node01 while another host of the group is unhealthy/);
    expect(sim.restarts).toEqual(['node02', 'node01', 'master01']);
    for (const m of ['master01', 'node01']) expect(fleet.get(m)?.files.has(`${PENDING_RESTART_DIR}/etcd.service`)).toBe(true);
  });

  it('--limit: members outside the run count; one of them unhealthy keeps the rollout from starting', async () => {
    const { plan, fleet, sim } = await installed();
    sim.member('master01').broken = true;
    const run = await apply(renewed(plan, ['node01'], 'limited'), fleet, { timeoutMs: 1_000, limit: ['node01'] });
    expect(run.error).toBeInstanceOf(PhaseError);
    expect((run.error as PhaseError).failures.map((f) => f.host)).toEqual(['master01']);
    expect((run.error as PhaseError).hint).toMatch(/^nothing was restarted: restarting node01 while another host of the group is unhealthy/);
    expect(sim.restarts).toEqual([]);
    expect(fleet.get('node01')?.files.has(`${PENDING_RESTART_DIR}/etcd.service`)).toBe(true);
  });
});
