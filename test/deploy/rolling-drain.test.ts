/**
 * RollingRestart.drain in the rollout (rolling.ts + rolling-drain.ts), with a stub io that records
 * every step run on every host and a gate that looks at a recorded "down" set: the load balancers
 * drop a wave before its restart and take it back only after its gate held; a balancer that
 * cannot drop it is a warning; one that cannot take it back stops the rollout, naming it; a
 * balancer outside the run is named once; dry-run prints the same steps.
 */
import { describe, expect, it } from 'vitest';
import { rollRestarts, type RolloutIo } from '../../src/deploy/rolling.js';
import { newHostRunState, type HostRunState } from '../../src/deploy/dry-run.js';
import type { GateVerdict, Phase, ProxyDrain, RollingRestart, Step } from '../../src/deploy/phase.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import type { ClusterPlan, PlannedHost } from '../../src/plan/types.js';
import type { HostReader } from '../../src/deploy/ssh/connection.js';
import { aHost } from '../support/inventory-builder.js';

const cps = ['cp1', 'cp2', 'cp3'];
const proxies = ['wk1', 'wk2'];
const planned = (name: string): PlannedHost => ({ host: aHost(name, '10.0.0.1', ['control-plane']), artifacts: [], units: ['kube-apiserver.service'] });
const targets = cps.map(planned);
const plan = { hosts: targets } as unknown as ClusterPlan;
const phase = { id: 'control-plane' } as Phase;

const drain: ProxyDrain = {
  what: 'taken out of every proxy first',
  steps: (_plan, drained) => new Map(proxies.map((p) => [p, [{ kind: 'exec', argv: ['drain', ...drained], why: 'test', label: `drain [${drained.join(',')}]` } satisfies Step]])),
};

interface Harness {
  readonly log: string[];
  readonly events: DeployEvent[];
  io: RolloutIo;
}

/** `fail(host, step)` makes that step throw; `reachable` defaults to every host. */
function harness(opts: { dryRun?: boolean; fail?: (host: string, label: string) => boolean; reachable?: readonly string[] } = {}): Harness {
  const log: string[] = [];
  const events: DeployEvent[] = [];
  const states = new Map<string, HostRunState>(cps.map((h) => {
    const s = newHostRunState();
    s.deferredRestarts.add('kube-apiserver.service');
    return [h, s];
  }));
  const readers = new Map(cps.map((h) => [h, {} as HostReader]));
  const io: RolloutIo = {
    plan,
    dryRun: opts.dryRun ?? false,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    clock: { now: () => new Date() },
    timeoutMs: 1_000,
    readers,
    states,
    facts: new Map(),
    reachable: new Set(opts.reachable ?? [...cps, ...proxies]),
    run: async (host, steps) => {
      for (const s of steps) {
        const label = s.kind === 'exec' ? (s.label ?? '') : s.kind === 'systemd' ? `${s.action} ${s.unit}` : s.kind;
        log.push(`${host}: ${label}`);
        if (opts.fail?.(host, label)) throw new Error(`${label} failed on ${host}`);
      }
    },
  };
  return { log, events, io };
}

const policy = (log: string[]): RollingRestart => ({
  gate: 'apiserver ready',
  scope: 'group',
  tiers: () => [{ label: 'control-plane hosts', hosts: cps, batchSize: 1, why: 'one at a time' }],
  check: async (): Promise<GateVerdict> => {
    log.push('gate');
    return { checked: cps, unhealthy: new Map() };
  },
  drain,
});

describe('rolling restart with a drain', () => {
  it('drops each host from every balancer before its restart and takes it back only after its gate', async () => {
    const h = harness();
    const err = await rollRestarts(phase, policy(h.log), targets, h.io);
    expect(err).toBeUndefined();
    const wave = (cp: string) => [`wk1: drain [${cp}]`, `wk2: drain [${cp}]`, `${cp}: restart kube-apiserver.service`, 'gate', 'wk1: drain []', 'wk2: drain []'];
    expect(h.log).toEqual(['gate', ...wave('cp1'), ...wave('cp2'), ...wave('cp3')]);
    const line = h.events.find((e) => e.type === 'rollout');
    expect(line).toMatchObject({ message: 'control-plane: rolling restart cp1 -> cp2 -> cp3, each taken out of every proxy first, gated by apiserver ready' });
  });

  it('a balancer that cannot drop the host is a warning and the restart goes on; one outside the run is named once', async () => {
    const h = harness({ fail: (host, label) => host === 'wk2' && label === 'drain [cp2]', reachable: [...cps, 'wk1'] });
    expect(await rollRestarts(phase, policy(h.log), targets, h.io)).toBeUndefined();
    expect(h.log.filter((l) => l.startsWith('wk2'))).toEqual([]); // not reachable: never asked
    const warnings = h.events.flatMap((e) => (e.type === 'warning' ? [`${e.host}: ${e.message}`] : []));
    expect(warnings).toEqual([expect.stringMatching(/^wk2: not part of this run .*keeps sending to each host while it restarts/)]);
    const h2 = harness({ fail: (host, label) => host === 'wk2' && label === 'drain [cp2]' });
    expect(await rollRestarts(phase, policy(h2.log), targets, h2.io)).toBeUndefined();
    expect(h2.log).toContain('cp2: restart kube-apiserver.service');
    expect(h2.events.filter((e) => e.type === 'warning').map((e) => (e.type === 'warning' ? `${e.host}: ${e.message}` : ''))).toEqual(['wk2: load balancer not drained: drain [cp2] failed on wk2']);
  });

  it('a balancer that cannot take the host back stops the rollout there, naming it; the rest keep their pending restarts', async () => {
    const h = harness({ fail: (host, label) => host === 'wk1' && label === 'drain []' });
    const err = await rollRestarts(phase, policy(h.log), targets, h.io);
    expect(err?.detail.join('\n')).toMatch(/wk1: control-plane: rolling restart: rolling restart stopped on wk1: could not put cp1 back into its load balancer: drain \[\] failed on wk1/);
    expect(err?.hint).toMatch(/cp2, cp3 were not restarted.*Fix wk1 \(the error above says what failed there\).*rewrites the load balancer configuration/);
    expect(h.log).not.toContain('cp2: restart kube-apiserver.service');
    expect(h.io.states.get('cp2')?.deferredRestarts.has('kube-apiserver.service')).toBe(true);
  });

  it('a failed gate leaves the host drained (nothing is sent to a host that is not ready)', async () => {
    const h = harness();
    const p = policy(h.log);
    let looks = 0;
    const failing: RollingRestart = { ...p, check: async () => ({ checked: cps, unhealthy: looks++ === 0 ? new Map() : new Map([['cp1', 'not ready']]) }) };
    const err = await rollRestarts(phase, failing, targets, { ...h.io, timeoutMs: 300 });
    expect(err?.detail.join('\n')).toMatch(/stopped after restarting cp1/);
    expect(h.log).toEqual(['wk1: drain [cp1]', 'wk2: drain [cp1]', 'cp1: restart kube-apiserver.service']);
  });

  it('dry-run prints every drain, restart and restore step in order, without gates', async () => {
    const h = harness({ dryRun: true });
    expect(await rollRestarts(phase, policy(h.log), targets, h.io)).toBeUndefined();
    expect(h.log.filter((l) => l !== 'gate')).toHaveLength(3 * 5);
    expect(h.log.slice(1, 6)).toEqual(['wk1: drain [cp1]', 'wk2: drain [cp1]', 'cp1: restart kube-apiserver.service', 'wk1: drain []', 'wk2: drain []']);
  });
});

describe('rolling restart with a guard (a Kubernetes upgrade cordons and drains around each wave)', () => {
  const undrained = (log: string[]): RollingRestart => {
    const { drain: _drain, ...rest } = policy(log);
    return rest;
  };
  const guard = (log: string[], failBefore?: string, failAfter?: string): NonNullable<RollingRestart['guard']> => ({
    what: () => 'cordoned and drained first',
    start: async () => { log.push('guard start'); return ['released nothing']; },
    before: async (hosts) => { log.push(`guard before ${hosts.join(',')}`); if (hosts.includes(failBefore ?? '-')) throw new Error(`cannot drain ${failBefore}`); return [`drained ${hosts.join(',')}`]; },
    after: async (hosts) => { log.push(`guard after ${hosts.join(',')}`); if (hosts.includes(failAfter ?? '-')) throw new Error(`${failAfter} not Ready`); return []; },
  });

  it('runs before each restart and after each gate, and says so in the rollout line', async () => {
    const h = harness();
    const err = await rollRestarts(phase, { ...undrained(h.log), guard: guard(h.log) }, targets, h.io);
    expect(err).toBeUndefined();
    expect(h.log.filter((l) => l !== 'gate')).toEqual([
      'guard start',
      'guard before cp1', 'cp1: restart kube-apiserver.service', 'guard after cp1',
      'guard before cp2', 'cp2: restart kube-apiserver.service', 'guard after cp2',
      'guard before cp3', 'cp3: restart kube-apiserver.service', 'guard after cp3',
    ]);
    const lines = h.events.flatMap((e) => ('message' in e ? [e.message] : []));
    expect(lines[0]).toBe('released nothing');
    expect(lines).toContain('control-plane: rolling restart cp1 -> cp2 -> cp3, each cordoned and drained first, gated by apiserver ready');
  });

  it('a failed `start` (the clean-up of an earlier run) is a warning and the rollout goes on', async () => {
    const h = harness();
    const g = guard(h.log);
    const err = await rollRestarts(phase, { ...undrained(h.log), guard: { ...g, start: () => Promise.reject(new Error('no control-plane host is part of this run')) } }, targets, h.io);
    expect(err).toBeUndefined();
    expect(h.log).toContain('cp3: restart kube-apiserver.service');
    expect(h.events.filter((e) => e.type === 'warning').map((e) => (e.type === 'warning' ? `${e.host}: ${e.message}` : ''))).toEqual([
      'API: not checked for what an earlier run left (no control-plane host is part of this run); the next apply checks again',
    ]);
  });

  it('a failed `before` stops the rollout with that wave not restarted; a failed `after` stops it before the next wave', async () => {
    const a = harness();
    const before = await rollRestarts(phase, { ...undrained(a.log), guard: guard(a.log, 'cp2') }, targets, a.io);
    expect(a.log).not.toContain('cp2: restart kube-apiserver.service');
    expect(before?.failures.map((f) => [f.host, f.error.message])).toEqual([['cp2', 'rolling restart stopped before restarting cp2: cannot drain cp2']]);
    expect(before?.hint).toMatch(/^cp2, cp3 were not restarted/);
    // A drain that failed says itself what failed: no journal of a unit that never restarted.
    expect(before?.hint).toContain('Fix cp2 (the error above says what failed there)');
    const b = harness();
    const after = await rollRestarts(phase, { ...undrained(b.log), guard: guard(b.log, undefined, 'cp1') }, targets, b.io);
    expect(b.log).not.toContain('cp2: restart kube-apiserver.service');
    expect(after?.failures.map((f) => [f.host, f.error.message])).toEqual([['cp1', 'rolling restart stopped after restarting cp1: cp1 not Ready']]);
  });
});
