/** buildPlan's per-host file sets: each host gets what its roles need and nothing more. */
import { describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../src/plan/types.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { planFor } from '../render/support/render.js';

const paths = (plan: ClusterPlan, host: string): string[] => plan.hosts.find((h) => h.host.name === host)!.artifacts.map((a) => a.path);

async function mixedPlan(): Promise<ClusterPlan> {
  const base = exampleInventory();
  return planFor(
    exampleInventory({
      cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
      hosts: [
        aHost('cp1', '192.168.80.10', ['control-plane']),
        aHost('etcd1', '192.168.80.30', ['etcd']),
        aHost('w1', '192.168.80.11', ['worker']),
        aHost('lb1', '192.168.80.13', ['loadbalancer']),
      ],
    }),
  );
}

describe('buildPlan per-host file sets', () => {
  it('gives the kubernetes CA key to control-plane hosts only and the etcd CA key to nobody', async () => {
    const plan = await planFor(exampleInventory());
    for (const h of plan.hosts) {
      const keys = h.artifacts.filter((a) => a.kind === 'key').map((a) => a.path);
      expect(keys.includes('/opt/kubernetes/ssl/ca-key.pem'), h.host.name).toBe(h.host.roles.includes('control-plane'));
      expect(h.artifacts.some((a) => typeof a.content === 'string' && a.content === plan.pki.certs.get('etcd-ca')!.keyPem)).toBe(false);
      expect(h.artifacts.some((a) => typeof a.content === 'string' && a.content === plan.pki.certs.get('front-proxy-ca')!.keyPem)).toBe(false);
    }
  });

  it('keeps an etcd-only host free of Kubernetes files and a load balancer free of credentials', async () => {
    const plan = await mixedPlan();
    expect(paths(plan, 'etcd1').filter((p) => !p.startsWith('/opt/etcd/') && p !== '/etc/systemd/system/etcd.service')).toEqual([]);
    const lb = plan.hosts.find((h) => h.host.name === 'lb1')!;
    expect(lb.artifacts.filter((a) => a.secret || a.kind === 'cert' || a.kind === 'key')).toEqual([]);
    expect(lb.units).toEqual(['kubesmith-apiserver-lb.service', 'kubesmith-keepalived.service']);
    expect(paths(plan, 'w1')).not.toContain('/opt/kubernetes/bin/kube-apiserver');
    expect(paths(plan, 'w1')).not.toContain('/opt/etcd/bin/etcd');
    expect(paths(plan, 'w1').filter((p) => p.includes('/ssl/'))).toEqual(['/opt/kubernetes/ssl/ca.pem']);
  });

  it('marks secrets 0600 and everything else 0644/0755, and computes sha256 for text only', async () => {
    const plan = await mixedPlan();
    for (const a of plan.hosts.flatMap((h) => h.artifacts)) {
      if (a.secret) expect(a.mode, a.id).toBe(0o600);
      else expect([0o644, 0o755], a.id).toContain(a.mode);
      if (a.kind === 'binary') expect(a.sha256).toBeUndefined();
      else expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('uses resolved bundle binaries when given', async () => {
    const base = await planFor(exampleInventory());
    const { buildPlan } = await import('../../src/plan/build-plan.js');
    const { shippedTemplates } = await import('../render/support/templates.js');
    const binaries = new Map([['kubernetes-server-linux-amd64.tar.gz#kubernetes/server/bin/kubelet', { localFile: '/tmp/kubelet', size: 123, sha256: 'a'.repeat(64) }]]);
    const plan = buildPlan({ inventory: base.inventory, pki: base.pki, pkiDecisions: [], templates: shippedTemplates(), binaries });
    const kubelet = plan.hosts[2]!.artifacts.find((a) => a.path === '/opt/kubernetes/bin/kubelet')!;
    expect(kubelet.sha256).toBe('a'.repeat(64));
    expect(kubelet.content).toMatchObject({ localFile: '/tmp/kubelet', size: 123, member: 'kubernetes/server/bin/kubelet' });
    expect(kubelet.restarts).toEqual(['kubelet.service']);
  });

  it('restarts exactly the readers of a changed file', async () => {
    const plan = await planFor(exampleInventory());
    const m1 = plan.hosts[0]!;
    const restarts = (p: string): readonly string[] => m1.artifacts.find((a) => a.path === p)!.restarts;
    expect(restarts('/opt/kubernetes/ssl/ca-key.pem')).toEqual(['kube-controller-manager.service']);
    expect(restarts('/opt/etcd/ssl/ca.pem')).toEqual(['etcd.service']);
    expect(restarts('/opt/kubernetes/ssl/etcd-ca.pem')).toEqual(['kube-apiserver.service']);
    expect(restarts('/opt/kubernetes/cfg/bootstrap.kubeconfig')).toEqual([]);
  });
});

describe('API endpoint design', () => {
  const unitText = (plan: ClusterPlan, host: string, unit: string): string =>
    plan.hosts.find((h) => h.host.name === host)!.artifacts.find((a) => a.path === `/etc/systemd/system/${unit}`)?.content as string;

  it('local-proxy: apiserver binds its internalIP so the proxy can own 127.0.0.1:6443 on every node', async () => {
    const plan = await planFor(exampleInventory());
    expect(unitText(plan, 'master01', 'kube-apiserver.service')).toContain('--bind-address=192.168.80.10 ');
    for (const h of plan.hosts) expect(h.units).toContain('kubesmith-apiserver-proxy.service');
    const conf = plan.hosts[0]!.artifacts.find((a) => a.path.endsWith('apiserver-proxy.conf'))!.content as string;
    expect(conf).toContain('listen 127.0.0.1:6443;');
    expect(conf).toContain('server 192.168.80.10:6443');
    expect(conf).toContain('server 192.168.80.20:6443');
    // controller-manager and scheduler talk to their own apiserver, not through the proxy
    const cm = plan.hosts[1]!.artifacts.find((a) => a.path.endsWith('kube-controller-manager.kubeconfig'))!.content as string;
    expect(cm).toContain('server: https://192.168.80.20:6443');
  });

  it('vip and none: apiserver binds 0.0.0.0 and no node runs the local proxy', async () => {
    const base = exampleInventory();
    for (const ha of ['vip', 'none'] as const) {
      const plan = await planFor(exampleInventory({ cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha, vip: '192.168.80.88' } } }));
      expect(unitText(plan, 'master01', 'kube-apiserver.service')).toContain('--bind-address=0.0.0.0 ');
      for (const h of plan.hosts) expect(h.units).not.toContain('kubesmith-apiserver-proxy.service');
    }
  });
});
