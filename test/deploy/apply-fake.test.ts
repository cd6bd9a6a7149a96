/**
 * The whole APPLY_PHASES program on in-memory hosts: first apply ships everything and starts
 * services, the second changes and restarts nothing, a dry-run afterwards writes nothing.
 * (Real hosts: test/hosts/apply*.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPhases, type Transport } from '../../src/deploy/runner.js';
import { APPLY_PHASES } from '../../src/deploy/phases/index.js';
import type { DeployEvent, HostSummary } from '../../src/deploy/events.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import type { FakeHost } from '../support/fake-host.js';
import { fakeFleet, planWithFiles } from './_fleet.js';
import { tickingClock } from './_plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'ks-apply-fake-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function apply(plan: ClusterPlan, fleet: Map<string, FakeHost>, dryRun = false): Promise<{ hosts: readonly HostSummary[]; events: DeployEvent[] }> {
  const events: DeployEvent[] = [];
  const transport: Transport = { connect: async (h) => fleet.get(h.name) as FakeHost, lock: async () => ({ release: async () => undefined }) };
  const res = await runPhases({ plan, phases: APPLY_PHASES, dryRun, transport, emit: (e) => events.push(e), signal: new AbortController().signal, clock: tickingClock() });
  return { hosts: res.hosts, events };
}

describe('apply on in-memory hosts', () => {
  it('converges, then a second apply changes and restarts nothing, and a dry-run writes nothing', async () => {
    const plan = await planWithFiles(tmp);
    const fleet = fakeFleet(plan);
    const first = await apply(plan, fleet);
    const master = fleet.get('master01');
    expect(first.hosts.find((h) => h.host === 'master01')?.changed).toBeGreaterThan(40);
    expect(master?.units.get('etcd.service')).toEqual({ enabled: true, active: true });
    expect(master?.units.get('containerd.service')).toEqual({ enabled: true, active: true });
    expect(master?.units.get('kube-apiserver.service')).toEqual({ enabled: true, active: false }); // stub: not started
    expect(master?.text('/etc/hosts')).toContain('192.168.80.12 node02');
    const report = first.events.find((e) => e.type === 'report');
    expect(report).toMatchObject({ phase: 'etcd', columns: expect.arrayContaining(['HEALTH', 'IS LEADER']) });
    expect(master?.log).toContain('exec systemctl restart --no-block etcd.service');

    for (const f of fleet.values()) f.log.length = 0;
    const second = await apply(plan, fleet);
    expect(second.hosts.map((h) => [h.host, h.changed, h.restarted.length])).toEqual(plan.hosts.map((h) => [h.host.name, 0, 0]));
    for (const f of fleet.values()) expect(f.mutations()).toEqual([]);

    const dry = await apply(plan, fleet, true);
    for (const f of fleet.values()) expect(f.mutations()).toEqual([]);
    expect(dry.events.filter((e) => e.type === 'step' && e.status === 'changed')).toEqual([]);
  });
});
