/**
 * Golden files of the example inventory's render, one per host (every role combination of the
 * classic layout), plus a VIP variant with load balancers, a pure worker and an etcd-only member.
 * Refresh deliberately with `vitest -u` and review the diff like any code change.
 */
import { describe, expect, it } from 'vitest';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { goldenText, planFor } from './support/render.js';

describe('golden render', () => {
  it('example inventory (local-proxy HA): every host', async () => {
    const plan = await planFor(exampleInventory());
    for (const host of plan.hosts) {
      await expect(goldenText(plan, host)).toMatchFileSnapshot(`golden/example/${host.host.name}.txt`);
    }
    const manifests = plan.manifests.map((m) => `=== ${m.id}${m.secret ? ' secret' : ''}\n${m.yaml}`).join('\n');
    const redacted = manifests
      .replaceAll(plan.bootstrapToken.secret, '<token secret>')
      .replaceAll(plan.bootstrapToken.id, '<token id>')
      .replace(/expiration: "[^"]+"/, 'expiration: "<expiry>"');
    await expect(redacted).toMatchFileSnapshot('golden/example/cluster-manifests.txt');
  });

  it('vip variant: load balancers, a pure worker, an etcd-only member, v1.28, etcd 3.4, containerd 1.7 with a mirror', async () => {
    const base = exampleInventory();
    const inv = exampleInventory({
      cluster: { ...base.cluster, kubernetesVersion: 'v1.28.15', etcdVersion: 'v3.4.23', proxyMode: 'iptables', apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
      pki: { ...base.pki, adminIdentity: 'system-masters' },
      // Nodes that are containers: kube-proxy leaves the kernel's conntrack settings alone.
      kubeProxy: { conntrack: { maxPerCore: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' } },
      // containerd 1.7 (config version 2; the example has 2.3, version 4) and a registry mirror (hosts.toml).
      containerd: { ...base.containerd, version: 'v1.7.29', mirrors: [{ registry: 'docker.io', endpoints: ['https://mirror.example:5000'] }] },
      hosts: [
        aHost('master01', '192.168.80.10', ['control-plane']),
        aHost('etcd01', '192.168.80.30', ['etcd']),
        aHost('node01', '192.168.80.11', ['worker']),
        aHost('lb01', '192.168.80.13', ['loadbalancer']),
        aHost('lb02', '192.168.80.14', ['loadbalancer']),
      ],
    });
    const plan = await planFor(inv);
    for (const host of plan.hosts) {
      await expect(goldenText(plan, host)).toMatchFileSnapshot(`golden/vip/${host.host.name}.txt`);
    }
    expect(plan.manifests.map((m) => m.id)).toEqual(['bootstrap-rbac', 'bootstrap-token-secret', 'flannel', 'coredns']);
  });
});
