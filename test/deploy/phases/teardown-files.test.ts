/**
 * The removal's file step (_teardown.ts) run by a real sh on this machine: a file is removed only
 * while it is what kubesmith wrote (the plan's sha256), a changed one is left and named, a file
 * whose sha256 the plan does not know (a bundle binary) is removed; the read-only check says when
 * nothing is left to do, so a second run is "unchanged".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeFilesSteps } from '../../../src/deploy/phases/_teardown.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('removeFilesSteps', () => {
  it('removes what kubesmith wrote, leaves a changed file, and its check turns unchanged afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-teardown-'));
    const [ours, changed, binary, gone] = ['kubelet.service', 'kubelet-config.yaml', 'kubelet', 'never-written'].map((f) => join(dir, f)) as [string, string, string, string];
    writeFileSync(ours, 'unit as rendered\n');
    writeFileSync(changed, 'edited by the operator\n');
    writeFileSync(binary, 'ELF');
    const [step] = removeFilesSteps([{ path: ours, sha256: sha('unit as rendered\n') }, { path: changed, sha256: sha('as rendered\n') }, { path: binary, sha256: undefined }, { path: gone, sha256: sha('x') }], 'test');
    if (step?.kind !== 'exec' || !step.unless) throw new Error('expected an exec step with a check');
    const [cmd, ...args] = step.argv as [string, ...string[]];
    const [ucmd, ...uargs] = step.unless as [string, ...string[]];
    expect(spawnSync(ucmd, uargs).status, 'something to remove').toBe(1);
    expect(execFileSync(cmd, args, { encoding: 'utf8' })).toBe(`left alone: ${changed} (not what kubesmith wrote)\n1 files left alone\n`);
    expect([existsSync(ours), existsSync(changed), existsSync(binary)]).toEqual([false, true, false]);
    expect(spawnSync(ucmd, uargs).status, 'nothing left to remove').toBe(0);
  });
});
