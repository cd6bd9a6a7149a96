/**
 * #13 item 9: output into a closed pipe (`kubesmith pki check | head -1`). Unix tools stop quietly
 * there; kubesmith printed an unhandled EPIPE stack and exited 1. The reader's end is closed before
 * the child writes anything, so every write meets EPIPE (deterministic, unlike a real `| head`).
 */
import { mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { finished, sourceCli, spawnCli } from '../support/source-cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
let dir: string;

beforeAll(() => {
  sourceCli();
  dir = mkdtempSync(join(tmpdir(), 'ks-epipe-'));
  copyFileSync(join(ROOT, 'inventory.example.yaml'), join(dir, 'inventory.yaml'));
}, 120_000);

describe('a closed stdout (| head)', () => {
  it.each([
    ['--help', ['--help'], 0],
    ['validate', ['validate'], 0],
    // No PKI yet: pki check reports every row missing (exit 1), and still stops quietly.
    ['pki check', ['pki', 'check'], 1],
  ])('%s: no stack, no message, the command\'s own exit code', async (_name, args, code) => {
    const child = spawnCli(args, { cwd: dir });
    child.stdout!.destroy();
    const r = await finished(child);
    // Nothing about the closed pipe: no stack, no EPIPE, no error line (pki check's own summary of
    // missing material still goes to stderr, which is open).
    expect(r.err).not.toMatch(/EPIPE|^\s+at |^error:|Error:/m);
    expect(r).toMatchObject({ code, signal: null });
  });
});

describe('a closed stderr (2>&1 | head)', () => {
  it('an unknown command still exits 2, without a stack on stdout', async () => {
    const child = spawnCli(['frobnicate'], { cwd: dir });
    child.stderr!.destroy();
    const r = await finished(child);
    expect(r.out).toBe('');
    expect(r).toMatchObject({ code: 2, signal: null });
  });

  it('both closed: --version exits 0', async () => {
    const child = spawnCli(['--version'], { cwd: dir });
    child.stdout!.destroy();
    child.stderr!.destroy();
    const r = await finished(child);
    expect(r).toMatchObject({ code: 0, signal: null });
  });
});
