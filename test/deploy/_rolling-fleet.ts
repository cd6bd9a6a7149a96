/**
 * The fake fleet with a simulated etcd for the rolling-restart tests (rolling.test.ts,
 * rolling-snapshot.test.ts): a planned, installed cluster, `pki renew` as a plan change, and one
 * APPLY_PHASES run that collects the events and the rollout lines.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { runPhases, type Transport } from '../../src/deploy/runner.js';
import { APPLY_PHASES } from '../../src/deploy/phases/index.js';
import type { DeployEvent, HostSummary } from '../../src/deploy/events.js';
import type { EtcdSnapshotTarget } from '../../src/deploy/phase.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import type { FakeHost } from '../support/fake-host.js';
import { fakeFleet, planWithFiles } from './_fleet.js';
import { EtcdSim } from './_etcd-sim.js';

const tmp = mkdtempSync(join(tmpdir(), 'ks-rolling-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const realClock = { now: () => new Date() };

/** The plan after `pki renew`: the etcd server certificate of `hosts` has new content. */
export function renewed(plan: ClusterPlan, hosts: readonly string[], tag: string): ClusterPlan {
  return {
    ...plan,
    hosts: plan.hosts.map((h) => ({
      ...h,
      artifacts: h.artifacts.map((a) => {
        if (!hosts.includes(h.host.name) || !a.path.endsWith('/etcd/ssl/server.pem') || typeof a.content !== 'string') return a;
        const content = `${a.content}# ${tag}\n`;
        return { ...a, content, sha256: sha(content) };
      }),
    })),
  };
}

export async function apply(plan: ClusterPlan, fleet: Map<string, FakeHost>, opts: { dryRun?: boolean; timeoutMs?: number; limit?: readonly string[]; etcdSnapshot?: EtcdSnapshotTarget } = {}) {
  const events: DeployEvent[] = [];
  const transport: Transport = { connect: async (h) => fleet.get(h.name) as FakeHost, lock: async () => ({ release: async () => undefined }) };
  let hosts: readonly HostSummary[] = [];
  let error: unknown;
  try {
    hosts = (
      await runPhases({ plan, phases: APPLY_PHASES, dryRun: opts.dryRun ?? false, transport, emit: (e) => events.push(e), signal: new AbortController().signal, clock: realClock, verifyTimeoutMs: opts.timeoutMs ?? 5_000, ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.etcdSnapshot ? { etcdSnapshot: opts.etcdSnapshot } : {}) })
    ).hosts;
  } catch (err) {
    error = err;
  }
  const rollout = events.flatMap((e) => (e.type === 'rollout' ? [`${e.host ? `${e.host}: ` : ''}${e.message}`] : []));
  return { events, hosts, error, rollout };
}

/** A fleet that ran its first apply, with the simulation attached. */
export async function installed(): Promise<{ plan: ClusterPlan; fleet: Map<string, FakeHost>; sim: EtcdSim }> {
  const plan = await planWithFiles(tmp);
  const fleet = fakeFleet(plan, () => Date.now());
  const sim = new EtcdSim(plan);
  sim.attach(fleet);
  const first = await apply(plan, fleet);
  expect(first.error).toBeUndefined();
  // A first installation starts every member at once (a member blocks until quorum): no rollout.
  expect(first.rollout).toEqual([]);
  for (const m of ['master01', 'node01', 'node02']) expect(fleet.get(m)?.log).toContain('exec systemctl restart --no-block etcd.service');
  expect(sim.restarts).toEqual([]);
  return { plan, fleet, sim };
}

