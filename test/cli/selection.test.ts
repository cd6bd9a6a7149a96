/**
 * #13 item 12: `apply --limit ""` ran on every host and `--only etcd --skip etcd` was accepted. An
 * empty, contradictory, repeated or unknown selection is a usage error (exit 2) found before
 * anything is computed or written: the PKI is not even saved. The directory has no offline bundle,
 * so a selection that wrongly passed would stop at the bundle (exit 1), never reach a host.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges, type TreeSnapshot } from '../support/tree-snapshot.js';

const ROOT = new URL('../../', import.meta.url).pathname;
let dir: string;
let before: TreeSnapshot;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ks-select-'));
  // ecdsa keys: a selection checked too late would first spend seconds on rsa keys.
  const text = readFileSync(join(ROOT, 'inventory.example.yaml'), 'utf8').replace('# keyAlgorithm: rsa-2048', 'keyAlgorithm: ecdsa-p256');
  writeFileSync(join(dir, 'inventory.yaml'), text);
  before = snapshotTree(dir);
});

async function apply(...args: string[]): Promise<{ code: number; err: string }> {
  const r = await runCliCaptured(['apply', '-i', 'inventory.yaml', ...args], { cwd: dir });
  return { code: r.code, err: r.err };
}

describe('apply refuses a selection that is empty, contradictory, repeated or unknown', () => {
  it.each([
    [['--limit', ''], /apply: --limit is empty/],
    [['--limit='], /apply: --limit is empty/],
    [['--limit', ' '], /apply: --limit is empty/],
    [['--limit', ','], /--limit ",": an empty name/],
    [['--limit', 'node01,'], /--limit "node01,": an empty name/],
    [['--only', ''], /apply: --only is empty/],
    [['--skip', 'etcd,,nodes'], /--skip "etcd,,nodes": an empty name/],
    [['--only', 'etcd', '--skip', 'etcd'], /--only and --skip both name "etcd"/],
    [['--only', 'etcd', '--skip', 'nodes'], /--only and --skip together/],
    [['--only', 'etcd,etcd'], /--only: "etcd" is given twice/],
    [['--limit', 'node01', '--limit', 'node01'], /--limit: "node01" is given twice/],
    [['--only', 'etcdd'], /--only: unknown phase "etcdd" \(did you mean etcd\?\)/],
    [['--skip', 'node'], /--skip: unknown phase "node" \(did you mean nodes\?\)/],
    [['--only', 'connect'], /"connect" always runs/],
    [['--limit', 'nod01'], /--limit: unknown host "nod01" \(did you mean node01\?\)/],
    [['--limit', 'MASTER01'], /--limit: unknown host "MASTER01" \(did you mean master01\?\)/],
    [['-i', 'inventory.yaml'], /apply: --inventory given twice/],
  ])('apply %j: exit 2, nothing written', async (args, message) => {
    const r = await apply(...args);
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });

  it('--skip of every phase that does something leaves nothing to run', async () => {
    const all = 'preflight,prepare-hosts,binaries,certificates,etcd,control-plane,cluster-bootstrap,nodes,approve-kubelet-csrs,verify';
    const r = await apply('--skip', all);
    expect(r.err).toMatch(/--skip leaves no phase to run/);
    expect(r.code).toBe(2);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });

  it('--only etcd --limit master02 (no etcd there) is nothing to do, and saves no PKI', async () => {
    const r = await apply('--only', 'etcd', '--limit', 'master02');
    expect(r.err).toMatch(/nothing to do: no selected phase runs on master02/);
    expect(r.err).toMatch(/etcd runs on master01, node01, node02/);
    expect(r.code).toBe(2);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });
});
