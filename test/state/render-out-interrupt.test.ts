/**
 * state/render-out when a render is interrupted: a kill at any point leaves the previous tree or the
 * new one (or, between the two renames of the swap, the previous one in DIR.kubesmith-old, put back
 * by the next render), the next render converges, and nothing outside what kubesmith wrote is ever
 * removed. First the states a kill can leave, built by hand; then real child processes SIGKILLed at
 * random moments of a render.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeRenderTree } from '../../src/state/render-out.js';
import { StateError } from '../../src/shared/errors.js';
import { snapshotTree, type TreeSnapshot } from '../support/tree-snapshot.js';
import { transpileClosure } from '../support/ts-closure.js';
import { syntheticTree, target } from './support/synthetic-render.js';

let base = '';
let out = '';
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'kubesmith-render-interrupt-'));
  out = join(base, 'out');
  writeFileSync(join(base, 'keep.txt'), 'the operator file next to the render\n');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** The snapshot of a finished render of variant `v`, made once in a scratch dir. */
const expected = new Map<string, TreeSnapshot>();
function treeOf(v: 'a' | 'b', hosts?: number): TreeSnapshot {
  const key = `${v}${hosts}`;
  if (!expected.has(key)) {
    const d = mkdtempSync(join(tmpdir(), 'kubesmith-render-expected-'));
    writeRenderTree(join(d, 'out'), syntheticTree(v, hosts), target(d));
    expected.set(key, snapshotTree(join(d, 'out')));
    rmSync(d, { recursive: true });
  }
  return expected.get(key)!;
}
const siblings = (): string[] => readdirSync(base).sort();

describe('the states a killed render leaves, and the next render', () => {
  it('a temp dir with the marker, some files and a half-written one: cleared, the render converges', () => {
    writeRenderTree(out, syntheticTree('a'), target(base));
    // A "kill" while building b: a finished b tree under the temp name, cut short.
    writeRenderTree(join(base, 'x'), syntheticTree('b'), target(base));
    renameSync(join(base, 'x'), `${out}.kubesmith-tmp`);
    rmSync(join(`${out}.kubesmith-tmp`, 'host3'), { recursive: true });
    writeFileSync(join(`${out}.kubesmith-tmp`, 'host1/etc/kubesmith/d0/file0.conf'), 'b:1:0\nb:'); // half-written
    expect(snapshotTree(out)).toEqual(treeOf('a'));
    writeRenderTree(out, syntheticTree('b'), target(base));
    expect(snapshotTree(out)).toEqual(treeOf('b'));
    expect(siblings()).toEqual(['keep.txt', 'out']);
  });

  it('killed between the two renames (no DIR, the previous tree in DIR.kubesmith-old, the new one in -tmp): put back, then replaced', () => {
    writeRenderTree(out, syntheticTree('a'), target(base));
    renameSync(out, `${out}.kubesmith-old`);
    writeRenderTree(join(base, 'x'), syntheticTree('b'), target(base));
    renameSync(join(base, 'x'), `${out}.kubesmith-tmp`);
    expect(snapshotTree(`${out}.kubesmith-old`)).toEqual(treeOf('a')); // the old tree is whole meanwhile
    writeRenderTree(out, syntheticTree('b'), target(base));
    expect(snapshotTree(out)).toEqual(treeOf('b'));
    expect(siblings()).toEqual(['keep.txt', 'out']);
  });

  it('killed while removing the old tree (marker kept, some files gone), or leaving empty dirs / a lone marker', () => {
    writeRenderTree(out, syntheticTree('a'), target(base));
    writeRenderTree(join(base, 'x'), syntheticTree('a'), target(base));
    renameSync(join(base, 'x'), `${out}.kubesmith-old`);
    rmSync(join(`${out}.kubesmith-old`, 'host0'), { recursive: true });
    unlinkSync(join(`${out}.kubesmith-old`, 'PLAN.md'));
    writeRenderTree(out, syntheticTree('b'), target(base));
    expect(siblings()).toEqual(['keep.txt', 'out']);
    mkdirSync(`${out}.kubesmith-old`);
    mkdirSync(`${out}.kubesmith-tmp`);
    writeFileSync(join(`${out}.kubesmith-tmp`, '.kubesmith-render.json'), '{"kubesmith": "ren'); // cut mid-write
    writeRenderTree(out, syntheticTree('a'), target(base));
    expect(snapshotTree(out)).toEqual(treeOf('a'));
    expect(siblings()).toEqual(['keep.txt', 'out']);
  });

  it('a foreign file inside a leftover old or temp dir blocks the render, and everything is kept', () => {
    writeRenderTree(out, syntheticTree('a'), target(base));
    for (const kind of ['old', 'tmp']) {
      writeRenderTree(join(base, 'x'), syntheticTree('a'), target(base));
      const left = `${out}.kubesmith-${kind}`;
      renameSync(join(base, 'x'), left);
      writeFileSync(join(left, 'host0', 'mine.txt'), 'mine\n');
      const before = snapshotTree(base);
      expect(() => writeRenderTree(out, syntheticTree('b'), target(base))).toThrow(StateError);
      expect(() => writeRenderTree(out, syntheticTree('b'), target(base))).toThrow(/holds files kubesmith did not write[\s\S]*/);
      expect(snapshotTree(base)).toEqual(before);
      rmSync(left, { recursive: true });
    }
  });
});

describe('real renders killed at random moments', () => {
  let child = '';
  afterAll(() => {
    if (child !== '') rmSync(child.slice(0, child.indexOf('/test/')), { recursive: true, force: true });
  });

  const HOSTS = 20; // 600 files: a render long enough to be killed in every stage

  /** Runs the child render of `v`; kills it `killAfterMs` after it starts the render (never, when undefined). */
  function run(v: 'a' | 'b', killAfterMs?: number): Promise<{ code: number | null; ms: number; err: string }> {
    return new Promise((done) => {
      const p = spawn(process.execPath, [child, out, v, String(HOSTS)], { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.stdout.on('data', (d: Buffer) => {
        const first = text === '';
        text += d.toString();
        if (first && text.startsWith('go') && killAfterMs !== undefined) setTimeout(() => p.kill('SIGKILL'), killAfterMs);
      });
      p.on('exit', (code) => done({ code, ms: Number(/done \d+ (\d+)/.exec(text)?.[1] ?? NaN), err }));
    });
  }

  it('leave the old tree or the new one; the next render converges; the operator file next to it stays', async () => {
    child = transpileClosure(join(dirname(new URL(import.meta.url).pathname), 'support', 'render-child.ts'), 'render-out');
    expect((await run('a')).code).toBe(0);
    const full = await run('b'); // a re-render: clears nothing, audits, builds, swaps, removes the old tree
    expect(full.err).toBe('');
    expect(full.code).toBe(0);
    let kills = 0;
    for (let i = 0; i < 6; i++) {
      const [from, to] = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      const ok = await run(from); // converges from whatever the last kill left
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
      expect(snapshotTree(out)).toEqual(treeOf(from, HOSTS));
      expect(siblings()).toEqual(['keep.txt', 'out']);
      const r = await run(to, Math.random() * full.ms);
      if (r.code === null) kills++;
      else expect(r.err).toBe('');
      const visible = existsSync(out) ? snapshotTree(out) : snapshotTree(`${out}.kubesmith-old`);
      expect([treeOf('a', HOSTS), treeOf('b', HOSTS)]).toContainEqual(visible);
      expect(readFileSync(join(base, 'keep.txt'), 'utf8')).toBe('the operator file next to the render\n');
    }
    expect(kills).toBeGreaterThan(0);
    const last = await run('b');
    expect(last.code).toBe(0);
    expect(snapshotTree(out)).toEqual(treeOf('b', HOSTS));
    expect(siblings()).toEqual(['keep.txt', 'out']);
  }, 120_000);
});
