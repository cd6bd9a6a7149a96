/**
 * The runnable facts of every service phase survive to the end of the run: verify checks every
 * unit the run started (etcd, the control plane, the node units), not only the last phase's, and
 * the API phases judge no binary a second time. On in-memory hosts whose etcd and containerd run
 * and whose Kubernetes binaries are stubs (test/deploy/_fleet.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPhases, type Transport } from '../../src/deploy/runner.js';
import { APPLY_PHASES } from '../../src/deploy/phases/index.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import type { FakeHost } from '../support/fake-host.js';
import { fakeFleet, planWithFiles } from './_fleet.js';
import { tickingClock } from './_plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'ks-verify-units-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runnable facts across phases', () => {
  it('verify checks every started unit of every service phase, each binary judged once', async () => {
    const plan = await planWithFiles(tmp);
    const fleet = fakeFleet(plan);
    const events: DeployEvent[] = [];
    const transport: Transport = { connect: async (h) => fleet.get(h.name) as FakeHost, lock: async () => ({ release: async () => undefined }) };
    await runPhases({ plan, phases: APPLY_PHASES, dryRun: false, transport, emit: (e) => events.push(e), signal: new AbortController().signal, clock: tickingClock() });
    const master = fleet.get('master01') as FakeHost;
    const started = [...master.units].filter(([, u]) => u.active).map(([name]) => name).sort();
    expect(started).toEqual(expect.arrayContaining(['containerd.service', 'etcd.service']));
    const verify = events.find((e) => e.type === 'host-done' && e.phase === 'verify' && e.host === 'master01');
    expect(verify).toMatchObject({ notes: [expect.stringMatching(new RegExp(`, ${started.length} units active$`))] });
    // verify asks in one batched round trip (pre-probe.ts batchProbe): its last `run N systemctl is-active ...` line.
    const isActive = master.log.flatMap((l) => [...l.matchAll(/^run \d+ systemctl is-active (.+)$/gm)].map((m) => m[1] ?? '')).pop() ?? '';
    expect(isActive.split(' ').sort()).toEqual(started);
    // Every unit binary was judged once in the run (one --version each: none runs in a FakeHost).
    const judged = master.log.flatMap((l) => [...l.matchAll(/ (\/\S+) --version/g)].map((m) => m[1]));
    expect(judged.length).toBeGreaterThan(3);
    expect(new Set(judged).size).toBe(judged.length);
  });
});
