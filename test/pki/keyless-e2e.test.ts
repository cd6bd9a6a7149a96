/**
 * #13 item 3: keyless mode (a CA key removed from the state dir, as pki/README.md documents) end to
 * end through the CLI: plan, render and apply --dry-run use what is issued, and what would need the
 * key is `blocked` with its reason; nothing half-made is written; never an internal error (exit 70).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
let template = '';

/** A fresh copy of one generated workspace (ECDSA, generated once for the file). */
function workspace(): { cwd: string; pki: string; cli: (argv: string[]) => ReturnType<typeof runCliCaptured> } {
  const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-keyless-'));
  const pki = join(cwd, '.kubesmith', 'demo', 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  copyFileSync(join(template, 'inventory.yaml'), join(cwd, 'inventory.yaml'));
  const from = join(template, '.kubesmith', 'demo', 'pki');
  for (const n of readdirSync(from)) if (!n.startsWith('.')) copyFileSync(join(from, n), join(pki, n));
  return { cwd, pki, cli: (argv) => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } }) };
}
const kcmUnit = (out: string): string => readFileSync(join(out, 'master01', 'etc/systemd/system/kube-controller-manager.service'), 'utf8');
const allFiles = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'kubesmith-keyless-template-'));
  writeFileSync(join(template, 'inventory.yaml'), readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
  const r = await runCliCaptured(['pki', 'generate', '-i', 'inventory.yaml'], { cwd: template, env: { NO_COLOR: '1' } });
  expect(r.code, r.err).toBe(0);
});

describe('keyless kubernetes-ca: everything issued, the key kept offline', () => {
  it('plan shows the decisions and what keyless means, exit 0, state untouched', async () => {
    const w = workspace();
    rmSync(join(w.pki, 'kubernetes-ca.key'));
    const before = snapshotTree(w.pki);
    const r = await w.cli(['plan', '-i', 'inventory.yaml']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/keep +kubernetes-ca +valid until \d{4}-\d\d-\d\d; key kept offline \(keyless mode\)/);
    expect(r.out).toContain('PKI keyless: the kubernetes-ca key is not in the state dir, so kube-controller-manager runs without --cluster-signing-cert-file');
    expect(r.out).not.toMatch(/ca-key\.pem/);
    expect(treeChanges(before, snapshotTree(w.pki))).toEqual([]);
  });

  it('render writes every file, no host gets a CA key, and KCM has no signer (kubeadm external-CA mode)', async () => {
    const w = workspace();
    const full = await w.cli(['render', '-i', 'inventory.yaml', '--out', 'with-key']);
    expect(full.code, full.err).toBe(0);
    expect(kcmUnit(join(w.cwd, 'with-key'))).toContain('--cluster-signing-key-file=');
    rmSync(join(w.pki, 'kubernetes-ca.key'));
    const before = snapshotTree(w.pki);
    const r = await w.cli(['render', '-i', 'inventory.yaml', '--out', 'keyless']);
    expect(r.code, r.err).toBe(0);
    const out = join(w.cwd, 'keyless');
    const kcm = kcmUnit(out);
    expect(kcm).not.toContain('--cluster-signing');
    expect(kcm).toContain('--root-ca-file=');
    const keyless = allFiles(out).map((f) => f.slice(out.length));
    const withKey = allFiles(join(w.cwd, 'with-key')).map((f) => f.slice(join(w.cwd, 'with-key').length));
    // Only the CA key files are gone: every other file is still rendered.
    expect(withKey.filter((f) => !keyless.includes(f)).sort()).toEqual(['/master01/opt/kubernetes/ssl/ca-key.pem', '/master02/opt/kubernetes/ssl/ca-key.pem']);
    expect(readFileSync(join(out, 'PLAN.md'), 'utf8')).toContain('PKI keyless: the kubernetes-ca key');
    expect(treeChanges(before, snapshotTree(w.pki))).toEqual([]);
  });

  it('apply --dry-run gets past the PKI to the offline bundle (exit 1 naming the bundle, not 70)', async () => {
    const w = workspace();
    rmSync(join(w.pki, 'kubernetes-ca.key'));
    const r = await w.cli(['apply', '-i', 'inventory.yaml', '--dry-run']);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/bundle/);
    expect(r.err).not.toMatch(/bug in kubesmith/);
  });
});

describe('keyless etcd-ca with a certificate that needs the key', () => {
  it('a missing leaf: plan, render and apply --dry-run refuse naming it, writing nothing', async () => {
    const w = workspace();
    for (const f of ['etcd-ca.key', 'etcd-peer@node02.crt', 'etcd-peer@node02.key']) rmSync(join(w.pki, f));
    const before = snapshotTree(w.cwd);
    for (const [argv, cmd] of [
      [['plan', '-i', 'inventory.yaml'], 'plan'],
      [['render', '-i', 'inventory.yaml', '--out', 'out'], 'render'],
      [['apply', '-i', 'inventory.yaml', '--dry-run'], 'apply --dry-run'],
    ] as const) {
      const r = await w.cli([...argv]);
      expect(r.code, `${cmd}: ${r.err}`).toBe(1);
      expect(r.err).toContain(`error: ${cmd}: 1 certificate is blocked: it needs a CA key that is not in ${w.pki} (keyless mode)`);
      expect(r.err).toContain('  blocked etcd-peer@node02: not issued yet; needs the etcd-ca key');
      expect(r.err).toContain(`${w.pki}/etcd-ca.key, mode 0600`);
    }
    expect(existsSync(join(w.cwd, 'out'))).toBe(false);
    expect(treeChanges(before, snapshotTree(w.cwd), (rel) => rel.includes('/logs/'))).toEqual([]);
  });

  it('issued leaves that need re-issue: plan shows them blocked in the plan (exit 1); render refuses', async () => {
    const w = workspace();
    rmSync(join(w.pki, 'etcd-ca.key'));
    // A key-algorithm change re-issues every leaf: the etcd ones cannot be.
    writeFileSync(join(w.cwd, 'inventory.yaml'), readFileSync(join(w.cwd, 'inventory.yaml'), 'utf8').replace('keyAlgorithm: ecdsa-p256', 'keyAlgorithm: ecdsa-p384'));
    const before = snapshotTree(w.cwd);
    const plan = await w.cli(['plan', '-i', 'inventory.yaml']);
    expect(plan.code, plan.err).toBe(1);
    expect(plan.out).toMatch(/^ {2}blocked etcd-server@master01 +key is ecdsa-p256, inventory wants ecdsa-p384; needs the etcd-ca key/m);
    expect(plan.out).toMatch(/^ {2}renew {3}apiserver +key is ecdsa-p256/m);
    expect(plan.out).toContain('PKI blocked: etcd-server@master01, etcd-server@node01');
    expect(plan.out).toContain('master01 [control-plane, etcd]');
    const render = await w.cli(['render', '-i', 'inventory.yaml', '--out', 'out']);
    expect(render.code).toBe(1);
    expect(render.err).toMatch(/^error: render: 8 certificates are blocked/m);
    expect(existsSync(join(w.cwd, 'out'))).toBe(false);
    expect(treeChanges(before, snapshotTree(w.cwd))).toEqual([]);
  });
});
