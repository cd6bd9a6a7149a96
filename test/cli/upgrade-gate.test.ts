/**
 * #10 part 3: apply refuses a version change the skew policy does not allow before anything is
 * written or any host is reached (the example's hosts do not exist; a gate that let it through would
 * stop later, at the missing bundle, with exit 1), and plan says what apply would do or refuse.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const ROOT = new URL('../../', import.meta.url).pathname;
let dir: string;
let identityFile: string;

const setRecord = (kubernetes: string, etcd: string): void => {
  const id = JSON.parse(readFileSync(identityFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(identityFile, `${JSON.stringify({ ...id, versions: { kubernetes, etcd } }, null, 2)}\n`);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ks-upgrade-gate-'));
  const text = readFileSync(join(ROOT, 'inventory.example.yaml'), 'utf8').replace('# keyAlgorithm: rsa-2048', 'keyAlgorithm: ecdsa-p256');
  writeFileSync(join(dir, 'inventory.yaml'), text);
  const gen = await runCliCaptured(['pki', 'generate', '-i', 'inventory.yaml'], { cwd: dir });
  expect(gen.code, gen.err).toBe(0);
  identityFile = join(dir, '.kubesmith', 'demo', 'pki', 'cluster.json');
});

describe('the version gate', () => {
  it('apply: a skipped minor is an inventory error at the kubernetesVersion line; nothing written', async () => {
    const version = /kubernetesVersion: (v[\d.]+)/.exec(readFileSync(join(dir, 'inventory.yaml'), 'utf8'))?.[1] ?? '';
    const [, minor] = /^v1\.(\d+)\./.exec(version) ?? [];
    setRecord(`v1.${Number(minor) - 2}.0`, 'v3.7.0');
    const before = snapshotTree(dir);
    const r = await runCliCaptured(['apply', '-i', 'inventory.yaml'], { cwd: dir });
    expect(r.code, r.err).toBe(2);
    const line = readFileSync(join(dir, 'inventory.yaml'), 'utf8').split('\n').findIndex((l) => /^\s*kubernetesVersion:/.test(l)) + 1;
    expect(r.err).toMatch(new RegExp(`inventory\\.yaml:${line}:\\d+: cluster\\.kubernetesVersion: ${version.replace(/\./g, '\\.')} skips v1\\.${Number(minor) - 1}`));
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
    const plan = await runCliCaptured(['plan', '-i', 'inventory.yaml'], { cwd: dir });
    expect(plan.out).toContain('upgrade refused (apply stops here): cluster.kubernetesVersion');
  });

  it('plan: one minor forward is announced in the skew policy order', async () => {
    const version = /kubernetesVersion: (v[\d.]+)/.exec(readFileSync(join(dir, 'inventory.yaml'), 'utf8'))?.[1] ?? '';
    const [, minor] = /^v1\.(\d+)\./.exec(version) ?? [];
    setRecord(`v1.${Number(minor) - 1}.4`, 'v3.7.0');
    const plan = await runCliCaptured(['plan', '-i', 'inventory.yaml'], { cwd: dir });
    expect(plan.out).toMatch(new RegExp(`upgrade: Kubernetes v1\\.${Number(minor) - 1}\\.4 -> ${version.replace(/\./g, '\\.')} \\(upgrade\\)`));
  });
});
