/**
 * The removal's file step (_teardown.ts) run by a real sh on this machine: a file is removed only
 * while it is what kubesmith wrote (the plan's sha256), a changed one is left and named, a file
 * whose sha256 the plan does not know (a bundle binary) is removed; the read-only check says when
 * nothing is left to do, so a second run is "unchanged". A data directory is moved aside, also when
 * it is a mount point with pod volumes mounted beneath (in a private mount namespace, as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirStep, removeFilesSteps } from '../../../src/deploy/phases/_teardown.js';

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

describe('dataDirStep', () => {
  const argvs = (dir: string) => {
    const step = dataDirStep(dir, false, 'test');
    if (step.kind !== 'exec' || !step.unless) throw new Error('expected an exec step with a check');
    return { run: step.argv as string[], check: step.unless as string[] };
  };

  it('renames a plain directory to <dir>.removed (.removed.1 when taken); the check then says done', () => {
    const root = mkdtempSync(join(tmpdir(), 'ks-aside-'));
    const dir = join(root, 'kubelet');
    mkdirSync(join(dir, 'pki'), { recursive: true });
    mkdirSync(`${dir}.removed`);
    const { run, check } = argvs(dir);
    expect(spawnSync(check[0] as string, check.slice(1)).status).toBe(1);
    expect(execFileSync(run[0] as string, run.slice(1), { encoding: 'utf8' })).toBe(`moved ${dir} to ${dir}.removed.1\n`);
    expect(readdirSync(`${dir}.removed.1`)).toEqual(['pki']);
    expect(spawnSync(check[0] as string, check.slice(1)).status).toBe(0);
    expect(dataDirStep(dir, true, 'test')).toEqual({ kind: 'note', message: `${dir} kept in place (--keep-data)` });
  });

  it.skipIf(process.getuid?.() !== 0)('a mount point with a pod volume mounted beneath: the volume unmounted, the contents moved inside, the mount kept', () => {
    const root = mkdtempSync(join(tmpdir(), 'ks-aside-mnt-'));
    const dir = join(root, 'kubelet');
    mkdirSync(dir);
    const { run, check } = argvs(dir);
    const q = (a: readonly string[]) => a.map((x) => `'${x.replace(/'/g, "'\\''")}'`).join(' ');
    // A private mount namespace: nothing is mounted on this machine outside it.
    const script = [
      `mount -t tmpfs tmpfs ${dir}`,
      `mkdir -p ${dir}/pki ${dir}/pods/p1/volumes/token && echo key > ${dir}/pki/kubelet.key`,
      `mount -t tmpfs tmpfs ${dir}/pods/p1/volumes/token && echo secret > ${dir}/pods/p1/volumes/token/t`,
      `${q(check)}; echo "check before: $?"`,
      q(run),
      `${q(check)}; echo "check after: $?"`,
      `grep -c " ${dir}/pods" /proc/self/mountinfo; mountpoint -q ${dir} && echo "still a mount point"`,
      `ls -A ${dir}; ls ${dir}/kubesmith-removed; cat ${dir}/kubesmith-removed/pki/kubelet.key`,
    ].join('\n');
    const out = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
    expect(out).toBe(['check before: 1', `${dir} is a mount point: moved its contents to ${dir}/kubesmith-removed`, 'check after: 0', '0', 'still a mount point', 'kubesmith-removed', 'pki', 'pods', 'key', ''].join('\n'));
  });
});
