/** `kubesmith plan`: phases, certificate decisions, files new/changed/unchanged against the last render. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanView } from '../../src/plan/plan-view.js';
import { cli, scratchCluster } from '../render/support/cli.js';

describe('kubesmith plan', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await scratchCluster();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows phases, decisions and every file as new before any render; prints no secret', async () => {
    const r = await cli(['plan', '-i', 'inventory.yaml'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Plan for cluster demo: Kubernetes v1\.37\.2, etcd v3\.7\.0, 4 hosts, API ha local-proxy/);
    expect(r.out).toMatch(/  etcd +Install etcd +3 host\(s\), 6 file\(s\)/);
    expect(r.out).toMatch(/  keep +apiserver +valid until/);
    // how running services restart when their inputs change (#12): rolling, gated
    expect(r.out).toContain('  etcd: rolling restart master01 -> node01 -> node02, each gated by member health + leader + revision agreement');
    expect(r.out).toMatch(/  nodes: rolling restart master01 -> master02 -> node01 -> node02, .*workers: concurrency.restarts.workers 20% of 2 = 1 at a time/);
    expect(r.out).toContain('Files (no previous render: all new):');
    expect(r.out).toMatch(/master01 \[control-plane, etcd\]: 59 files \(59 new\)/);
    expect(r.out).not.toContain('BEGIN');
    expect(r.out).not.toMatch(/token: [a-z0-9]{6}\./);
  });

  it('after a render: unchanged; after an inventory change: new and changed files, as JSON too', async () => {
    expect((await cli(['render', '-i', 'inventory.yaml', '--out', 'out'], dir)).code).toBe(0);
    const same = await cli(['plan', '-i', 'inventory.yaml'], dir);
    expect(same.out).toMatch(/master01 \[control-plane, etcd\]: 59 files \(59 unchanged\)/);

    const inv = join(dir, 'inventory.yaml');
    const original = readFileSync(inv, 'utf8');
    writeFileSync(inv, original.replace('podCIDR: 10.244.0.0/16', 'podCIDR: 10.245.0.0/16'));
    try {
      const r = await cli(['plan', '-i', 'inventory.yaml', '--json'], dir);
      expect(r.code).toBe(0);
      const v = JSON.parse(r.out) as PlanView;
      const m1 = v.hosts.find((h) => h.name === 'master01')!;
      const status = (p: string): string => m1.files.find((f) => f.path === p)!.status;
      expect(status('/etc/systemd/system/kube-controller-manager.service')).toBe('changed');
      expect(status('/opt/kubernetes/cfg/kube-proxy-config.yaml')).toBe('changed');
      expect(status('/etc/systemd/system/kube-apiserver.service')).toBe('unchanged');
      expect(status('/opt/kubernetes/bin/kubelet')).toBe('unchanged');
      expect(v.comparedWith).toBe('last-render');
      // the program apply runs, API phases included, in order
      expect(v.phases.map((p) => p.id)).toEqual([
        'connect', 'lock', 'gather-facts', 'preflight', 'prepare-hosts', 'binaries', 'certificates',
        'etcd', 'control-plane', 'cluster-bootstrap', 'nodes', 'approve-kubelet-csrs', 'verify',
      ]);
      expect(m1.files.filter((f) => f.secret).every((f) => f.mode === '0600')).toBe(true);
      expect(JSON.stringify(v)).not.toContain('BEGIN');
    } finally {
      writeFileSync(inv, original);
    }
  });

  it('fails with exit 2 and the inventory problems for a broken inventory', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: kubesmith/v1alpha1\ncluster: {}\n');
    const r = await cli(['plan', '-i', 'bad.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml/);
  });
});
