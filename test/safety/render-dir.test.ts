/**
 * Safety suite, area A: `kubesmith render --out DIR` never destroys or replaces what it did not write.
 * Each case copies a scratch cluster (inventory, state dir with CA keys), adds the operator's files,
 * takes a snapshot, runs a hostile render, and asserts the exit code, the message, and that nothing
 * outside the command's own output changed.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scratchCluster } from '../render/support/cli.js';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

let template = '';
let root = ''; // holds the cluster dir, so a test can point --out at its parent
let dir = '';
beforeAll(async () => {
  // One real render shared by every case (copied with the cluster), to keep the suite fast.
  template = await scratchCluster();
  const r = await runCliCaptured(['render', '-i', 'inventory.yaml', '--out', 'out'], { cwd: template, env: {} });
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(template, { recursive: true, force: true }));
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'kubesmith-safety-render-'));
  dir = join(root, 'cluster');
  cpSync(template, dir, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const render = (out: string, extra: string[] = [], cwd = dir) =>
  runCliCaptured(['render', '-i', join(dir, 'inventory.yaml'), '--out', out, ...extra], { cwd, env: { NO_COLOR: '1' } });

/** Runs a render that must be refused: exit code, message, and an unchanged tree under `root`. */
async function refused(out: string, code: number, message: RegExp, extra: string[] = [], cwd = dir): Promise<string> {
  const before = snapshotTree(root);
  const r = await render(out, extra, cwd);
  expect(r.err).toMatch(message);
  expect(r.code).toBe(code);
  expect(treeChanges(before, snapshotTree(root))).toEqual([]);
  return r.err;
}

describe('render --out refuses what the operator owns (exit 2, nothing changed)', () => {
  it('#13.1: `--out .` beside the inventory, the state dir and an operator PLAN.md (was: all deleted, exit 0)', async () => {
    writeFileSync(join(dir, 'PLAN.md'), 'x\n');
    await refused('.', 2, /--out \. \(\/.*\/cluster\): holds the inventory .*refusing to write the render there, nothing was changed/);
    expect(readFileSync(join(dir, 'PLAN.md'), 'utf8')).toBe('x\n');
    expect(readFileSync(join(dir, '.kubesmith/demo/pki/kubernetes-ca.key'), 'utf8')).toContain('PRIVATE KEY');
  });

  it('an ancestor of the inventory, and a directory inside or equal to the state directory', async () => {
    await refused(root, 2, /holds the inventory/);
    await refused('.kubesmith', 2, /is the state directory/);
    await refused('.kubesmith/demo/render', 2, /is inside the state directory/);
  });

  it('the offline bundle directory, or one that holds it', async () => {
    mkdirSync(join(dir, 'bundle'));
    writeFileSync(join(dir, 'bundle', 'SHA256SUMS'), 'operator data\n');
    await refused('bundle', 2, /is the offline bundle/);
  });

  it('an empty --out or --diff (it would mean the current directory)', async () => {
    await refused('', 2, /render: --out is empty/);
    await refused('out', 2, /render: --diff is empty/, ['--diff', '']);
  });

  it('the current directory (empty) and its ancestors', async () => {
    const here = join(root, 'empty', 'deeper');
    mkdirSync(here, { recursive: true });
    await refused('.', 2, /is the current directory/, [], here);
    await refused('..', 2, /holds the current directory/, [], here);
  });

  it('a file, and a symbolic link to a directory', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    await refused('notes.txt', 2, /exists and is not a directory/);
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere', 'keep'), 'k\n');
    symlinkSync(join(root, 'elsewhere'), join(dir, 'link'));
    await refused('link', 2, /is a symbolic link/);
  });

  it('a directory inside an earlier render', async () => {
    await refused('out/master01/sub', 2, /is inside the render directory .*\/out/);
  });
});

describe('render --out refuses a directory it cannot prove it wrote (exit 1, nothing changed)', () => {
  it('a non-empty directory without a marker, listing its files', async () => {
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'runbook.md'), 'mine\n');
    await refused('docs', 1, /docs: not empty and not a kubesmith render \(no \.kubesmith-render\.json\)[\s\S]*runbook\.md/);
  });

  it('a render of the previous version (PLAN.md, no marker): delete it yourself or pick a new dir', async () => {
    mkdirSync(join(dir, 'old-render', 'master01'), { recursive: true });
    writeFileSync(join(dir, 'old-render', 'PLAN.md'), '# plan\n');
    writeFileSync(join(dir, 'old-render', 'master01', 'x'), 'x\n');
    const err = await refused('old-render', 1, /looks like a render of an earlier kubesmith \(PLAN\.md\) but has no \.kubesmith-render\.json/);
    expect(err).toMatch(/delete it yourself \(rm -r .*old-render\), or pass a new --out directory/);
  });

  it('a foreign file added to an earlier render blocks the re-render and is kept; so does an edited file', async () => {
    writeFileSync(join(dir, 'out', 'master01', 'my-notes.txt'), 'mine\n');
    await refused('out', 1, /holds 1 file kubesmith did not write[\s\S]*not written by kubesmith: master01\/my-notes\.txt/);
    rmSync(join(dir, 'out', 'master01', 'my-notes.txt'));
    writeFileSync(join(dir, 'out', 'PLAN.md'), 'reviewed: ok\n');
    await refused('out', 1, /changed since kubesmith wrote it: PLAN\.md/);
  });

  it('a symbolic link placed in an earlier render is refused; neither it nor its target is touched', async () => {
    symlinkSync(join(dir, '.kubesmith'), join(dir, 'out', 'master01', 'state'));
    await refused('out', 1, /not written by kubesmith: master01\/state \(symbolic link\)/);
    // A directory kubesmith wrote, swapped for a link to the operator's data.
    rmSync(join(dir, 'out', 'master01', 'state'));
    rmSync(join(dir, 'out', 'node01'), { recursive: true });
    symlinkSync(join(dir, '.kubesmith', 'demo', 'pki'), join(dir, 'out', 'node01'));
    await refused('out', 1, /not written by kubesmith: node01 \(symbolic link\)/);
  });

  it('a forged marker listing paths outside the directory is not one kubesmith wrote', async () => {
    mkdirSync(join(dir, 'forged'));
    writeFileSync(join(dir, 'forged', '.kubesmith-render.json'), JSON.stringify({ kubesmith: 'render', version: 1, cluster: 'demo', dirs: [], files: { '../inventory.yaml': 'a'.repeat(64) } }));
    await refused('forged', 1, /\.kubesmith-render\.json is not a marker kubesmith wrote \(bad file entry/);
  });

  it('the render of another cluster', async () => {
    const marker = join(dir, 'out', '.kubesmith-render.json');
    writeFileSync(marker, readFileSync(marker, 'utf8').replace('"cluster": "demo"', '"cluster": "other"'));
    await refused('out', 1, /holds the render of cluster "other", not "demo"/);
  });

  it('operator directories named like kubesmith temp dirs (DIR.kubesmith-tmp / -old) are kept, not removed', async () => {
    for (const name of ['out.kubesmith-tmp', 'out.kubesmith-old']) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'precious'), 'mine\n');
      await refused('out', 1, new RegExp(`${name.replace('.', '\\.')}: holds no \\.kubesmith-render\\.json, so kubesmith cannot tell it made it`));
      rmSync(join(dir, name), { recursive: true });
    }
    writeFileSync(join(dir, 'out.kubesmith-tmp'), 'a file\n');
    await refused('out', 1, /out\.kubesmith-tmp: is not a directory kubesmith made/);
  });
});

describe('render --diff PREV only reads', () => {
  it('PREV is unchanged, whether the render succeeds or is refused', async () => {
    mkdirSync(join(dir, 'prev', 'a'), { recursive: true });
    writeFileSync(join(dir, 'prev', 'a', 'f'), 'mine\n');
    writeFileSync(join(dir, 'prev', 'PLAN.md'), 'old\n');
    const before = snapshotTree(join(dir, 'prev'));
    const ok = await render('out', ['--diff', 'prev']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/compared with prev: \d+ added, 1 removed, 1 changed/);
    await refused('prev', 1, /not a kubesmith render|earlier kubesmith/, ['--diff', 'prev']);
    expect(treeChanges(before, snapshotTree(join(dir, 'prev')))).toEqual([]);
  });
});

describe('render --out of its own directory', () => {
  it('re-renders in place and removes files no longer rendered (a host removed from the inventory)', async () => {
    expect(snapshotTree(join(dir, 'out')).has('master02/etc/systemd/system/kube-apiserver.service')).toBe(true);
    const inv = join(dir, 'inventory.yaml');
    writeFileSync(inv, readFileSync(inv, 'utf8').replace('  - name: master02\n    address: 192.168.80.20\n    roles: [control-plane]\n', ''));
    const before = snapshotTree(root);
    const r = await render('out', ['--diff', 'out']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('- master02/etc/systemd/system/kube-apiserver.service');
    const after = snapshotTree(root);
    expect([...after.keys()].filter((k) => k.startsWith('cluster/out/master02'))).toEqual([]);
    // Only the render and last-render.json changed; no temp dir is left next to it.
    expect(treeChanges(before, after, (rel) => rel.startsWith('cluster/out/') || rel === 'cluster/.kubesmith/demo/last-render.json')).toEqual([]);
  });
});
