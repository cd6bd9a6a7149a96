/**
 * waitFor (src/deploy/phases/_units.ts), the readiness wait of every service phase, on this
 * machine's real processes (localReader runs the argv as a host would): a unit that becomes ready
 * a moment after its start is seen within a short poll, not a second later (a new node's
 * kube-proxy answers 1.4 s after its start; a flat 1 s poll made that 2.1 s), while a long wait
 * still polls once a second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pollPause, waitFor } from '../../../src/deploy/phases/_units.js';
import { localReader } from '../../status/support/local-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-wait-for-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx = (ms: number) => ({ signal: new AbortController().signal, deadline: Date.now() + ms, clock: { now: () => new Date() }, dryRun: false });

describe('waitFor', () => {
  it('sees a probe that turns ready after 300 ms within a quarter second of it (a 1 s poll took 1 s)', async () => {
    const flag = join(dir, 'ready');
    setTimeout(() => writeFileSync(flag, ''), 300);
    const reader = localReader('local');
    const t0 = performance.now();
    const r = await waitFor(reader, ['test', '-e', flag], ctx(10_000));
    const took = performance.now() - t0;
    expect(r).toMatchObject({ ok: true, waited: true });
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took, `${reader.calls.length} polls`).toBeLessThan(850);
  });

  it('gives up at the deadline with the last output', async () => {
    const r = await waitFor(localReader('local'), ['sh', '-c', 'echo not yet; exit 1'], ctx(400));
    expect(r).toEqual({ ok: false, output: 'not yet', waited: true });
  });

  it('polls every 250 ms for the first 5 s of a wait, then once a second', () => {
    const pauses = Array.from({ length: 25 }, (_, i) => pollPause(i + 1));
    expect(pauses.slice(0, 20).reduce((a, b) => a + b, 0)).toBe(5000);
    expect(new Set(pauses.slice(0, 20))).toEqual(new Set([250]));
    expect(new Set(pauses.slice(20))).toEqual(new Set([1000]));
  });
});
