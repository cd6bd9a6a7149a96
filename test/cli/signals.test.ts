/**
 * #13 item 10: Ctrl-C or SIGTERM during `pki generate` (an rsa-4096 PKI takes seconds) was
 * announced, but the command finished, saved and exited 0. It must stop at once, leave the state
 * as it was before, and end by the signal (the shell shows 130, 143, 129: 128 + its number). The
 * real CLI runs as a child process and gets a real signal once its handlers are installed.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { stoppedBy } from '../../src/cli/abort.js';
import { runCliCaptured } from '../support/cli-run.js';
import { finished, sourceCli, spawnCli } from '../support/source-cli.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const ROOT = new URL('../../', import.meta.url).pathname;

beforeAll(() => void sourceCli(), 120_000);

/** A copy of the example inventory with rsa-4096 keys, in a fresh directory (no state yet). */
function slowPkiDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ks-signal-'));
  const text = readFileSync(join(ROOT, 'inventory.example.yaml'), 'utf8').replace('# keyAlgorithm: rsa-2048', 'keyAlgorithm: rsa-4096');
  expect(text).toContain('keyAlgorithm: rsa-4096');
  writeFileSync(join(dir, 'inventory.yaml'), text);
  return dir;
}

/** True once the process has a handler for `sig` (SigCgt in /proc/PID/status), i.e. main.ts ran. */
function catches(pid: number, sig: number): boolean {
  const line = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  return (BigInt(`0x${line}`) & (1n << BigInt(sig - 1))) !== 0n;
}

describe('a stop signal during pki generate', () => {
  it.each([
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ] as const)('%s stops it at once, saves nothing, and ends by the signal', async (sig, num) => {
    const dir = slowPkiDir();
    const before = snapshotTree(dir);
    const child = spawnCli(['pki', 'generate', '-i', 'inventory.yaml'], { cwd: dir });
    const done = finished(child);
    for (let i = 0; i < 400 && !catches(child.pid!, num); i += 1) await sleep(25);
    expect(catches(child.pid!, num)).toBe(true);
    await sleep(1500); // into the key generation (20 rsa-4096 keys take well over 10 s here)
    const sent = Date.now();
    child.kill(sig);
    const r = await done;
    // Ended by the signal itself, so the shell reports 128 + its number and a calling script stops.
    expect({ code: r.code, signal: r.signal }).toEqual({ code: null, signal: sig });
    expect(Date.now() - sent).toBeLessThan(3000);
    expect(r.err).toMatch(new RegExp(`interrupted by .*${sig}`));
    expect(r.out).toBe('');
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });
});

// apply is waited for on a stop (it ends its remote steps and releases its locks), so it must stop
// by itself: its PKI key generation is dropped and nothing is saved. In-process; no bundle, no host.
describe('a stop during apply\'s key generation', () => {
  it('returns 130 at once and saves no PKI', async () => {
    const dir = slowPkiDir();
    const before = snapshotTree(dir);
    const c = new AbortController();
    let stoppedAt = 0;
    setTimeout(() => {
      stoppedAt = Date.now();
      c.abort(stoppedBy('SIGINT'));
    }, 500);
    const r = await runCliCaptured(['apply', '-i', 'inventory.yaml'], { cwd: dir, signal: c.signal });
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    expect(r.code, r.err).toBe(130);
    expect(r.err).toMatch(/apply: interrupted by Ctrl-C \(SIGINT\)/);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
    // Nothing left running reaches a save later either.
    await sleep(3000);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });
});
