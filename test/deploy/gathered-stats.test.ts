/**
 * One stat round trip per host and run (src/deploy/gathered-stats.ts): later phases answer from the
 * run's first stat only while the run has written nothing on the host, and only for paths it asked.
 */
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { executeSteps } from '../../src/deploy/executor.js';
import { dryRunSteps, newHostRunState, pendingMarker, pendingReloadMarker, type HostRunState } from '../../src/deploy/dry-run.js';
import { statOnce } from '../../src/deploy/gathered-stats.js';
import type { Step } from '../../src/deploy/phase.js';
import type { RemoteFileStat } from '../../src/deploy/ssh/connection.js';
import { FakeHost } from '../support/fake-host.js';
import { anArtifact, tickingClock } from './_plan.js';

const conf = anArtifact('h1', '/etc/kubernetes/a.conf', 'a\n', { restarts: ['a.service'] });
const cert = anArtifact('h1', '/etc/kubernetes/b.pem', 'b\n');
const later = anArtifact('h1', '/etc/kubernetes/c.conf', 'c\n', { restarts: ['c.service'] });
const HOST_PATHS = [conf.path, cert.path, later.path, ...['a.service', 'c.service'].flatMap((u) => [pendingMarker(u), pendingReloadMarker(u)])];
const put = (artifact: typeof conf): Step => ({ kind: 'put', artifact });
const phase1: Step[] = [put(conf), put(cert)];
const phase2: Step[] = [put(later), { kind: 'systemd', unit: 'c.service', action: 'restart', when: 'changed' }];

const execOpts = () => ({ phase: 'p', emit: () => undefined, signal: new AbortController().signal, uploads: new PQueue({ concurrency: 1 }), clock: tickingClock() });

async function apply(host: FakeHost, steps: readonly Step[], state: HostRunState, hostPaths: readonly string[] | null = HOST_PATHS): Promise<void> {
  await executeSteps(host, steps, state, execOpts(), hostPaths ? { hostPaths } : {});
}

function converged(): FakeHost {
  return new FakeHost('h1').seed(conf.path, 'a\n', conf.mode).seed(cert.path, 'b\n', cert.mode).seed(later.path, 'c\n', later.mode);
}
const stats = (host: FakeHost): string[] => host.log.filter((l) => l.startsWith('stat '));
/** A new run on `host`, whose log then holds only what the run asks. */
function freshRun(host: FakeHost): HostRunState {
  host.log.length = 0;
  return newHostRunState();
}

describe('one stat per host and run', () => {
  it('a no-change run stats the host once, asking every path of its plan; the next phase asks nothing', async () => {
    const host = converged();
    const state = freshRun(host);
    await apply(host, phase1, state);
    await apply(host, phase2, state);
    expect(stats(host)).toEqual([`stat ${HOST_PATHS.length}`]);
    expect(host.mutations()).toEqual([]);
    expect(state.writes).toBe(0);
  });

  it('after a write on the host, the next phase stats again and sees what is there now', async () => {
    const host = new FakeHost('h1').seed(later.path, 'c\n', later.mode);
    const state = freshRun(host);
    await apply(host, phase1, state); // writes a.conf and b.pem
    expect(state.writes).toBeGreaterThan(0);
    host.seed(later.path, 'changed by hand\n', later.mode); // the first stat's answer for c.conf is stale now
    await apply(host, phase2, state);
    expect(stats(host)).toHaveLength(2);
    expect(state.gathered).toBeUndefined(); // stale answers are dropped, not carried to the end
    expect(host.text(later.path)).toBe('c\n');
    expect(state.restarted).toEqual(['c.service']);
  });

  it('a pending-restart marker left by an interrupted run is seen through the first stat', async () => {
    const host = converged().seed(pendingMarker('c.service'), '', 0o644);
    const state = freshRun(host);
    await apply(host, phase1, state);
    await apply(host, phase2, state);
    expect(state.restarted).toEqual(['c.service']);
    expect(host.files.has(pendingMarker('c.service'))).toBe(false);
  });

  it('answers are taken once: the same phase run again in the run stats for itself', async () => {
    const host = converged();
    const state = freshRun(host);
    await apply(host, phase1, state);
    await apply(host, phase1, state);
    expect(stats(host)).toEqual([`stat ${HOST_PATHS.length}`, 'stat 2']);
    expect(state.gathered?.has(conf.path)).toBe(false);
    expect(state.gathered?.has(later.path)).toBe(true);
  });

  it('a path the first stat did not ask about is stat-ed on its own', async () => {
    const host = converged();
    const state = freshRun(host);
    await apply(host, phase1, state, [conf.path, cert.path]);
    await apply(host, phase2, state, [conf.path, cert.path]);
    expect(stats(host)).toEqual(['stat 2', 'stat 3']);
  });

  it('without the host paths (a rolling restart, a drain) every call stats its own paths', async () => {
    const host = converged();
    const state = freshRun(host);
    await apply(host, phase1, state, null);
    await apply(host, phase2, state, null);
    expect(stats(host)).toEqual(['stat 2', 'stat 3']);
  });

  it('a dry-run stats once too, and says what apply would write', async () => {
    const host = converged().seed(later.path, 'old\n', later.mode);
    const state = freshRun(host);
    const events: string[] = [];
    const opts = { phase: 'p', emit: (e: { type: string; status?: string }) => void events.push(`${e.type} ${e.status ?? ''}`), signal: new AbortController().signal };
    await dryRunSteps(host, phase1, state, opts, { hostPaths: HOST_PATHS });
    await dryRunSteps(host, phase2, state, opts, { hostPaths: HOST_PATHS });
    expect(stats(host)).toEqual([`stat ${HOST_PATHS.length}`]);
    expect(events.filter((e) => e === 'step changed')).toHaveLength(2); // c.conf and its restart
  });

  it('a write that overlaps the first stat keeps its answers out of the state', async () => {
    const state = newHostRunState();
    const found: ReadonlyMap<string, RemoteFileStat> = new Map();
    await statOnce(async () => ((state.writes += 1), found), ['/a'], state, ['/b']);
    expect(state.gathered).toBeUndefined();
  });
});

describe("verify's first look, asked with the pre-probes", () => {
  const looks = [['true'], undefined, ['false']];
  const run = async (host: FakeHost, steps: readonly Step[]) => executeSteps(host, steps, newHostRunState(), execOpts(), { hostPaths: HOST_PATHS, looks });

  it('comes back, by position and in the same round trip as the pre-probes, when the steps wrote nothing', async () => {
    const host = converged();
    host.units.set('a.service', { enabled: true, active: true });
    host.log.length = 0;
    const answers = await run(host, [...phase1, { kind: 'systemd', unit: 'a.service', action: 'enable' }]);
    expect(host.log.filter((l) => l.startsWith('probe '))).toHaveLength(1);
    expect(answers?.get(0)?.exitCode).toBe(0);
    expect(answers?.has(1)).toBe(false);
    expect(answers?.get(2)?.exitCode).toBe(1);
  });

  it('is dropped when a step wrote on the host: verify then looks for itself', async () => {
    const host = new FakeHost('h1');
    expect(await run(host, phase1)).toBeUndefined();
  });
});
