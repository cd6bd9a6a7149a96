/** `kubesmith render` end to end in-process: the tree, its modes, determinism, --diff, last-render.json. */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, scratchCluster } from './support/cli.js';

function tree(dir: string): Map<string, { mode: number; content: string }> {
  const out = new Map<string, { mode: number; content: string }>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), { mode: statSync(p).mode & 0o777, content: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

describe('kubesmith render', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await scratchCluster();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every host file, cluster objects, operator kubeconfigs and PLAN.md; secrets 0600, dirs 0700', async () => {
    const r = await cli(['render', '-i', 'inventory.yaml', '--out', 'out'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^out: 115 files for 4 hosts/);
    const t = tree(join(dir, 'out'));
    expect(t.get('master01/opt/kubernetes/ssl/ca-key.pem')?.mode).toBe(0o600);
    expect(t.get('master01/opt/kubernetes/ssl/ca.pem')?.mode).toBe(0o644);
    expect(t.get('node01/opt/kubernetes/cfg/bootstrap.kubeconfig')?.mode).toBe(0o600);
    expect(t.get('_operator/admin.kubeconfig')?.mode).toBe(0o600);
    expect(t.get('_cluster/bootstrap-token-secret.yaml')?.mode).toBe(0o600);
    expect(t.get('_cluster/flannel.yaml')?.content).toContain('"Network": "10.244.0.0/16"');
    for (const d of ['out', 'out/master01', 'out/master01/opt/kubernetes/ssl', 'out/_operator']) expect(statSync(join(dir, d)).mode & 0o777).toBe(0o700);
    // Workers never get a CA key; the etcd CA key goes nowhere.
    expect([...t.keys()].filter((k) => /^node0\d\/.*ca-key/.test(k))).toEqual([]);
    expect([...t.keys()].filter((k) => k.endsWith('/opt/etcd/ssl/ca-key.pem'))).toEqual([]);
    const md = t.get('PLAN.md')!.content;
    expect(md).toContain('## master01 (control-plane, etcd)');
    expect(md).toMatch(/\| `\/opt\/kubernetes\/ssl\/ca-key\.pem` \| [\d.]+K \| `[0-9a-f]{12}` \| 0600 \| yes \| kube-controller-manager\.service \|/);
    expect(md).not.toContain('BEGIN');
  });

  it('is deterministic: a second render is byte-identical, and --diff says so', async () => {
    const first = tree(join(dir, 'out'));
    const r = await cli(['render', '-i', 'inventory.yaml', '--out', 'out2', '--diff', 'out'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('compared with out: 0 added, 0 removed, 0 changed, 115 unchanged');
    expect(tree(join(dir, 'out2'))).toEqual(first);
  });

  it('--diff lists added, removed and changed files after an inventory change', async () => {
    const inv = join(dir, 'inventory.yaml');
    const original = readFileSync(inv, 'utf8');
    writeFileSync(inv, original.replace('  - name: node02\n    address: 192.168.80.12\n    roles: [worker, etcd]\n', '  - name: node02\n    address: 192.168.80.12\n    roles: [worker, etcd]\n  - name: node03\n    address: 192.168.80.15\n    roles: [worker]\n'));
    try {
      const r = await cli(['render', '-i', 'inventory.yaml', '--out', 'out', '--diff', 'out'], dir);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/compared with out: \d+ added, 0 removed, \d+ changed/);
      expect(r.out).toContain('+ node03/etc/systemd/system/kubelet.service');
      expect(r.out).toContain('~ PLAN.md');
      expect(r.out).not.toContain('~ master01/etc/systemd/system/kube-apiserver.service');
    } finally {
      writeFileSync(inv, original);
    }
  });

  it('refuses --out . (it holds the inventory) with exit 2, and a foreign non-empty directory with exit 1', async () => {
    const r = await cli(['render', '-i', 'inventory.yaml', '--out', '.'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out \. \(.*\): holds the inventory .*; refusing to write the render there, nothing was changed/);
    expect(statSync(join(dir, 'inventory.yaml')).isFile()).toBe(true);
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'notes'), 'x');
    const f = await cli(['render', '-i', 'inventory.yaml', '--out', 'mine'], dir);
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/mine: not empty and not a kubesmith render \(no \.kubesmith-render\.json\); refusing to replace it/);
    expect(readFileSync(join(dir, 'mine', 'notes'), 'utf8')).toBe('x');
  });

  it('writes a marker listing every file and directory it wrote, with sha256; --diff ignores it', async () => {
    const m = JSON.parse(readFileSync(join(dir, 'out', '.kubesmith-render.json'), 'utf8')) as { kubesmith: string; cluster: string; dirs: string[]; files: Record<string, string> };
    expect(m.kubesmith).toBe('render');
    expect(m.cluster).toBe('demo');
    const t = tree(join(dir, 'out'));
    t.delete('.kubesmith-render.json');
    expect(Object.keys(m.files).sort()).toEqual([...t.keys()].sort());
    expect(m.files['PLAN.md']).toBe(createHash('sha256').update(t.get('PLAN.md')!.content).digest('hex'));
    expect(m.dirs).toContain('master01/opt/kubernetes/ssl');
  });

  it('requires --out and names a bad --diff directory', async () => {
    expect((await cli(['render', '-i', 'inventory.yaml'], dir)).err).toMatch(/--out DIR is required/);
    const r = await cli(['render', '-i', 'inventory.yaml', '--out', 'x', '--diff', 'nope'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope: not a directory/);
  });
});

describe('kubesmith render without a PKI in the state', () => {
  it('renders with a throw-away in-memory PKI, says so, and writes no PKI state', async () => {
    const dir = await scratchCluster({ pki: false });
    try {
      const r = await cli(['render', '-i', 'inventory.yaml', '--out', 'out'], dir);
      expect(r.code).toBe(0);
      expect(r.out).toContain('no PKI in the state yet');
      expect(readdirSync(join(dir, '.kubesmith', 'demo'))).toEqual(['last-render.json']);
      expect(readFileSync(join(dir, 'out', 'PLAN.md'), 'utf8')).toContain('throw-away in-memory PKI');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
