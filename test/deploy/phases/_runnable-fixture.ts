/**
 * Real binaries for the runnable tests (runnable-probe, facts-runnable): private copies of
 * coreutils' sleep in a temp dir, started and killed per test, and a phase context.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { PhaseContext } from '../../../src/deploy/phase.js';

/** Registers the clean-up hooks in the calling test file; returns its temp dir and helpers. */
export function runnableFixture(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ctx: PhaseContext = { signal: new AbortController().signal, deadline: Date.now() + 60_000, clock: { now: () => new Date() }, dryRun: false };
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** A private copy of coreutils' sleep (a real ELF binary that answers --version). */
  const realBinary = (name: string): string => {
    const p = join(dir, name);
    copyFileSync('/bin/sleep', p);
    chmodSync(p, 0o755);
    return p;
  };
  /** Starts `bin` (sleep 300) and waits until it was spawned. */
  const startLive = async (bin: string): Promise<number> => {
    const child = spawn(bin, ['300'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    return child.pid as number;
  };
  return { dir, ctx, children, realBinary, startLive };
}
