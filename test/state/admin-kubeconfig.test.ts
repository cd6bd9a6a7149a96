/**
 * `<state>/admin.kubeconfig`: created 0600 and atomically, replaced only when kubesmith wrote the
 * file there, refused (and left as it was) when the operator's own file, an edited copy or a link
 * is in the way. The rendered one is a kubeconfig kubectl reads, pointing at the cluster endpoint.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminKubeconfigLine, isOwnKubeconfig, markedKubeconfig, saveAdminKubeconfig, writeAdminKubeconfig } from '../../src/state/admin-kubeconfig.js';
import { StateError } from '../../src/shared/errors.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { shippedTemplates } from '../render/support/templates.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kubesmith-adminkc-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KC = (server: string): string => `apiVersion: v1\nkind: Config\nclusters:\n- name: demo\n  cluster:\n    server: ${server}\n`;

describe('admin kubeconfig in the state directory', () => {
  it('creates it 0600, then reports unchanged, then updates its own file', () => {
    const dir = tempDir();
    const first = writeAdminKubeconfig(dir, KC('https://192.168.80.10:6443'));
    expect(first).toEqual({ path: join(dir, 'admin.kubeconfig'), action: 'created' });
    expect(lstatSync(first.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.path, 'utf8')).toBe(markedKubeconfig(KC('https://192.168.80.10:6443')));
    expect(writeAdminKubeconfig(dir, KC('https://192.168.80.10:6443')).action).toBe('unchanged');
    expect(writeAdminKubeconfig(dir, KC('https://192.168.80.88:16443')).action).toBe('updated');
    expect(readFileSync(first.path, 'utf8')).toContain('https://192.168.80.88:16443');
    // Atomic: no temp file is left next to it.
    expect(readdirSync(dir)).toEqual(['admin.kubeconfig']);
    // A mode changed by hand is put back.
    chmodSync(first.path, 0o644);
    expect(writeAdminKubeconfig(dir, KC('https://192.168.80.88:16443')).action).toBe('updated');
    expect(lstatSync(first.path).mode & 0o777).toBe(0o600);
  });

  it('refuses a file it did not write, an edited copy and a symlink, and leaves each untouched', () => {
    const dir = tempDir();
    const path = join(dir, 'admin.kubeconfig');
    const mine = 'apiVersion: v1\nkind: Config\n# the operator\'s own\n';
    writeFileSync(path, mine);
    expect(() => writeAdminKubeconfig(dir, KC('https://a:6443'))).toThrow(StateError);
    expect(() => writeAdminKubeconfig(dir, KC('https://a:6443'))).toThrow(/a file kubesmith did not write, or one edited since; kubesmith will not overwrite it/);
    expect(readFileSync(path, 'utf8')).toBe(mine);

    writeFileSync(path, markedKubeconfig(KC('https://a:6443')).replace('https://a:6443', 'https://edited:6443'));
    expect(isOwnKubeconfig(readFileSync(path, 'utf8'))).toBe(false);
    expect(() => writeAdminKubeconfig(dir, KC('https://b:6443'))).toThrow(/edited since/);

    rmSync(path);
    const target = join(dir, 'elsewhere');
    writeFileSync(target, markedKubeconfig(KC('https://a:6443')));
    symlinkSync(target, path);
    expect(() => writeAdminKubeconfig(dir, KC('https://b:6443'))).toThrow(/a symbolic link/);
    expect(readFileSync(target, 'utf8')).toContain('https://a:6443');
    try {
      writeAdminKubeconfig(dir, KC('https://b:6443'));
    } catch (err) {
      expect((err as StateError).hint).toContain(`mv ${path} ${path}.mine`);
    }
  });

  it('renders the operator kubeconfig for the cluster endpoint, and kubectl reads it', async () => {
    const state = tempDir();
    const inv = exampleInventory({ source: join(state, 'inventory.yaml') });
    const pki = await pkiFixture(inv);
    const r = saveAdminKubeconfig(inv, pki, shippedTemplates());
    expect(r.path).toBe(join(state, '.kubesmith', 'demo', 'admin.kubeconfig'));
    expect(adminKubeconfigLine(r)).toBe(`admin kubeconfig (created): export KUBECONFIG=${r.path}`);
    const text = readFileSync(r.path, 'utf8');
    expect(isOwnKubeconfig(text)).toBe(true);
    let kubectl = '';
    try {
      kubectl = execFileSync('kubectl', ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server} {.users[0].name}'], { env: { ...process.env, KUBECONFIG: r.path }, encoding: 'utf8' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      kubectl = `${/server: (\S+)/.exec(text)?.[1]} ${/users:\n- name: (\S+)/.exec(text)?.[1]}`; // no kubectl here: read it as YAML text
    }
    // The first control-plane host with local-proxy HA; the VIP with ha: vip (endpoints.ts adminServerUrl).
    expect(kubectl).toBe('https://192.168.80.10:6443 kubernetes-admin');
    const vip = exampleInventory({ source: inv.source, cluster: { ...inv.cluster, apiServer: { ...inv.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } } });
    const again = saveAdminKubeconfig(vip, pki, shippedTemplates());
    expect(again.action).toBe('updated');
    expect(readFileSync(again.path, 'utf8')).toContain('server: https://192.168.80.88:16443');
  });
});
