/**
 * #13 item 11: `-i DIR` and an unreadable inventory exited 1 (StateError) with a hint that did not
 * name the cause. Both are usage errors (exit 2): a directory points at the inventory file inside
 * it; permission denied names the user kubesmith runs as and the file's mode and owner.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { runCliCaptured } from '../support/cli-run.js';
import { commandArgv } from '../support/command-argv.js';
import { finished, sourceCli, spawnCli } from '../support/source-cli.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const ROOT = new URL('../../', import.meta.url).pathname;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ks-invpath-'));
  mkdirSync(join(dir, 'cluster'));
  copyFileSync(join(ROOT, 'inventory.example.yaml'), join(dir, 'cluster', 'inventory.yaml'));
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', 'prod.yaml'), 'x: 1\n');
  writeFileSync(join(dir, 'other', 'lab.yml'), 'x: 1\n');
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'plain'), 'not a directory\n');
});

const argvOf = commandArgv;

describe('-i DIR', () => {
  it.each(COMMANDS.map((c) => [c.name]))('%s -i DIR: exit 2, points at DIR/inventory.yaml, writes nothing', async (name) => {
    const before = snapshotTree(dir);
    const r = await runCliCaptured([...argvOf(name), '-i', 'cluster'], { cwd: dir });
    expect(r.err).toContain('error: cluster: is a directory, not an inventory file');
    expect(r.err).toContain('hint: pass the inventory FILE inside it: -i cluster/inventory.yaml');
    expect(r.code).toBe(2);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });

  it('a directory without inventory.yaml: lists its YAML files', async () => {
    const r = await runCliCaptured(['validate', '-i', 'other'], { cwd: dir });
    expect(r.err).toMatch(/hint: pass an inventory FILE with -i, e\.g\. -i other\/lab\.yml \(YAML files there: lab\.yml, prod\.yaml\)/);
    expect(r.code).toBe(2);
  });

  it('a directory without YAML files: says so', async () => {
    const r = await runCliCaptured(['validate', '-i', 'empty'], { cwd: dir });
    expect(r.err).toContain('hint: pass the inventory FILE with -i FILE; empty holds no inventory.yaml');
    expect(r.code).toBe(2);
  });

  it('a path through a file (plain/inventory.yaml): exit 2', async () => {
    const r = await runCliCaptured(['plan', '-i', 'plain/inventory.yaml'], { cwd: dir });
    expect(r.err).toContain('error: plain/inventory.yaml: a part of this path is a file, not a directory');
    expect(r.code).toBe(2);
  });
});

// Root reads every file, so permission denied needs another user: the real CLI runs as nobody.
describe.skipIf(process.getuid?.() !== 0)('an inventory this user may not read', () => {
  beforeAll(() => void sourceCli(), 120_000);

  it('is a usage error naming the user, the mode and the owner', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ks-perm-'));
    chmodSync(home, 0o755);
    copyFileSync(join(ROOT, 'inventory.example.yaml'), join(home, 'inventory.yaml'));
    chmodSync(join(home, 'inventory.yaml'), 0o600);
    const r = await finished(spawnCli(['validate', '-i', 'inventory.yaml'], { cwd: home, uid: 65534, gid: 65534 }));
    expect(r.err).toContain('error: inventory.yaml: permission denied reading the inventory');
    expect(r.err).toMatch(/hint: kubesmith runs as uid 65534 \(nobody\); the file is mode 0600, owned by uid 0 \(root\)/);
    expect(r.code).toBe(2);
  });
});
