/**
 * Safety suite, B1 (#13 item 2): hostile variants of a cluster's identity through the real CLI.
 * A CA or sa.key that is missing, foreign or damaged, and a moved or symlinked inventory, never
 * lead to a new CA: the command refuses (exit 1, the facts, `--new-ca NAME`) and no file changes.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
const INVENTORY = readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 ');
const cli = (cwd: string, ...argv: string[]): Promise<CliResult> => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } });

/** A workspace with inventory.yaml and a generated PKI (ECDSA: fast). */
async function cluster(): Promise<{ root: string; cwd: string; pki: string }> {
  const root = mkdtempSync(join(tmpdir(), 'ks-safety-identity-'));
  const cwd = join(root, 'cluster');
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'inventory.yaml'), INVENTORY);
  const r = await cli(cwd, 'pki', 'generate', '-i', 'inventory.yaml');
  expect(r.code, r.err).toBe(0);
  return { root, cwd, pki: join(cwd, '.kubesmith', 'demo', 'pki') };
}

/** Runs a command that must refuse: exit code, a message, and not one file changed under `root`. */
async function refuses(root: string, cwd: string, argv: string[], code: number, message: string | RegExp): Promise<CliResult> {
  const before = snapshotTree(root);
  const r = await cli(cwd, ...argv);
  expect(r.code, r.out + r.err).toBe(code);
  expect(r.err).toMatch(message);
  expect(treeChanges(before, snapshotTree(root))).toEqual([]);
  return r;
}

describe('pki generate never re-mints a cluster identity', () => {
  it('missing kubernetes-ca: refused for generate, plan and render; --new-ca is the way out', async () => {
    const { root, cwd, pki } = await cluster();
    rmSync(join(pki, 'kubernetes-ca.crt'));
    rmSync(join(pki, 'kubernetes-ca.key'));
    const r = await refuses(root, cwd, ['pki', 'generate', '-i', 'inventory.yaml'], 1, /kubernetes-ca\.crt: the kubernetes-ca certificate and key are missing; kubesmith will not mint a new kubernetes-ca/);
    expect(r.err).toContain('--new-ca kubernetes-ca');
    await refuses(root, cwd, ['plan', '-i', 'inventory.yaml'], 1, /will not mint a new kubernetes-ca/);
    await refuses(root, cwd, ['render', '-i', 'inventory.yaml', '--out', join(root, 'out')], 1, /will not mint a new kubernetes-ca/);
  });

  it('missing sa.key, and a foreign etcd-ca: refused, nothing written', async () => {
    const { root, cwd, pki } = await cluster();
    rmSync(join(pki, 'sa.key'));
    await refuses(root, cwd, ['pki', 'generate', '-i', 'inventory.yaml'], 1, /sa\.key: missing; a new service-account key would invalidate every ServiceAccount token/);
    const other = await cluster();
    copyFileSync(join(other.pki, 'sa.key'), join(pki, 'sa.key'));
    await refuses(root, cwd, ['pki', 'generate', '-i', 'inventory.yaml'], 1, /sa\.key: not the service-account key this state was created with/);
    copyFileSync(join(other.pki, 'etcd-ca.crt'), join(pki, 'etcd-ca.crt'));
    copyFileSync(join(other.pki, 'etcd-ca.key'), join(pki, 'etcd-ca.key'));
    await refuses(root, cwd, ['pki', 'generate', '-i', 'inventory.yaml'], 1, /etcd-ca\.crt: this is not the etcd-ca this state was created with/);
  });

  it('--new-ca with an unknown name is a usage error; a known one backs up, then replaces only that CA\'s files', async () => {
    const { root, cwd, pki } = await cluster();
    await refuses(root, cwd, ['pki', 'generate', '-i', 'inventory.yaml', '--new-ca', 'kubernetes'], 2, /--new-ca: "kubernetes" is not a CA or key kubesmith can replace[\s\S]*kubernetes-ca, etcd-ca, front-proxy-ca, service-account/);
    const before = snapshotTree(root);
    const r = await cli(cwd, 'pki', 'generate', '-i', 'inventory.yaml', '--new-ca', 'front-proxy-ca');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^replaced front-proxy-ca \(--new-ca\); the old files are in .*\/pki\/backup\/\d{8}T\d{6}\.\d{3}Z\/$/m);
    const [stamp] = readdirSync(join(pki, 'backup'));
    const b = `cluster/.kubesmith/demo/pki/backup/${stamp}`;
    expect(treeChanges(before, snapshotTree(root))).toEqual(
      [
        '+cluster/.kubesmith/demo/pki/backup', `+${b}`, `+${b}/cluster.json`, `+${b}/front-proxy-ca.crt`, `+${b}/front-proxy-ca.key`, `+${b}/front-proxy-client.crt`, `+${b}/front-proxy-client.key`,
        '~cluster/.kubesmith/demo/pki/cluster.json', '~cluster/.kubesmith/demo/pki/front-proxy-ca.crt', '~cluster/.kubesmith/demo/pki/front-proxy-ca.key', '~cluster/.kubesmith/demo/pki/front-proxy-client.crt', '~cluster/.kubesmith/demo/pki/front-proxy-client.key',
      ].sort(),
    );
  });
});

describe('a moved or symlinked inventory never starts a second PKI', () => {
  it('a symlink to the inventory (from another directory) finds the state next to the real file', async () => {
    const { root, cwd } = await cluster();
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(join(cwd, 'inventory.yaml'), join(elsewhere, 'inventory.yaml'));
    const before = snapshotTree(root);
    const r = await cli(elsewhere, 'pki', 'generate', '-i', 'inventory.yaml', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { stateDir: string; written: string[] };
    expect(j.stateDir).toBe(join(cwd, '.kubesmith', 'demo', 'pki'));
    expect(j.written).toEqual([]);
    expect(treeChanges(before, snapshotTree(root))).toEqual([]);
  });

  it('a state only next to the symlink (older kubesmith) or on both sides is refused with both paths', async () => {
    const { root, cwd } = await cluster();
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(join(cwd, 'inventory.yaml'), join(elsewhere, 'inventory.yaml'));
    renameSync(join(cwd, '.kubesmith'), join(elsewhere, '.kubesmith'));
    const r = await refuses(root, elsewhere, ['pki', 'generate', '-i', 'inventory.yaml'], 1, /the state of cluster "demo" is at .*elsewhere\/\.kubesmith\/demo, next to the symlink, not next to the real file/);
    expect(r.err).toContain(`mv ${join(elsewhere, '.kubesmith', 'demo')} ${join(cwd, '.kubesmith', 'demo')}`);
    cpSync(join(elsewhere, '.kubesmith'), join(cwd, '.kubesmith'), { recursive: true });
    await refuses(root, elsewhere, ['pki', 'generate', '-i', 'inventory.yaml'], 1, /two state directories for cluster "demo": .*elsewhere\/\.kubesmith\/demo \(next to the symlink\) and .*cluster\/\.kubesmith\/demo/);
    await refuses(root, elsewhere, ['apply', '-i', 'inventory.yaml', '--dry-run'], 1, /two state directories for cluster "demo"/);
  });

  it('an inventory moved away from its state says loudly that it starts a new cluster identity', async () => {
    const { root } = await cluster();
    const moved = join(root, 'moved');
    mkdirSync(moved);
    writeFileSync(join(moved, 'inventory.yaml'), INVENTORY);
    const r = await cli(moved, 'pki', 'generate', '-i', 'inventory.yaml');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`new cluster identity for "demo" (no earlier PKI in ${join(moved, '.kubesmith', 'demo', 'pki')})`);
    expect(r.out).toContain('move that\n.kubesmith directory next to this inventory instead. apply refuses hosts that carry another CA.');
  });
});
