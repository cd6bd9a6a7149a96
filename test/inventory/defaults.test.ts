/** Defaults, exactly as documented in types.ts (@default) and inventory.example.yaml. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateInventory } from '../../src/inventory/validate.js';
import type { Inventory } from '../../src/inventory/types.js';
import { exampleInventory } from '../support/inventory-builder.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/inventories/valid/${name}`, import.meta.url), 'utf8');

function valid(text: string, source = '/srv/cluster/inventory.yaml'): Inventory {
  const r = validateInventory(text, 'inventory.yaml', source);
  expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
  if (r.inventory === undefined) throw new Error('expected a valid inventory');
  return r.inventory;
}

describe('defaults', () => {
  it('turns inventory.example.yaml into the documented example cluster', () => {
    const text = readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8');
    const inv = valid(text, '/tmp/kubesmith-test/inventory.yaml');
    // The builder is the same cluster written as a value; only bundle.dir stays as written.
    expect(inv).toEqual(exampleInventory({ bundle: { dir: './bundle' } }));
  });

  it('fills every default for a minimal single-master inventory', () => {
    const inv = valid(fixture('single-master.yaml'));
    expect(inv.cluster).toEqual({
      name: 'solo',
      kubernetesVersion: 'v1.37.2',
      etcdVersion: 'v3.7.0',
      serviceCIDR: '10.0.0.0/24',
      podCIDR: '10.244.0.0/16',
      clusterDNS: '10.0.0.2',
      clusterDomain: 'cluster.local',
      apiServer: { ha: 'none', port: 6443, vipPort: 16443, vipInterface: 'eth0', extraSANs: [] },
      // nftables from v1.35 (ipvs is deprecated there); kubelet and kube-proxy keep their own defaults.
      proxyMode: 'nftables',
      cni: 'flannel',
      coredns: true,
    });
    expect(inv.pki).toEqual({
      keyAlgorithm: 'rsa-2048',
      caValidityDays: 3650,
      leafValidityDays: 365,
      adminIdentity: 'cluster-admins',
      bootstrapTokenTTLHours: 24,
      csrMaxExpirationDays: 365,
    });
    expect(inv.ssh).toEqual({
      user: 'root',
      port: 22,
      agent: true,
      knownHostsFile: '~/.ssh/known_hosts',
      hostKeyPolicy: 'strict',
      sudo: false,
      connectTimeoutSeconds: 10,
    });
    expect(inv.bundle).toEqual({ dir: './bundle' });
    expect(inv.paths).toEqual({ etcd: '/opt/etcd', kubernetes: '/opt/kubernetes' });
    expect(inv.containerd).toEqual({ snapshotter: 'overlayfs', noNewKeyring: false, restrictOomScoreAdj: false, sandboxImage: 'registry.k8s.io/pause:3.9', mirrors: [] });
    expect(inv.concurrency).toEqual({ hosts: 10, uploads: 4, restarts: { controlPlane: 1, workers: '20%' } });
    expect(inv.kubelet).toEqual({});
    expect(inv.kubeProxy).toEqual({ conntrack: {} });
    expect(inv.hosts).toEqual([
      { name: 'solo', address: '192.168.80.10', internalIP: '192.168.80.10', roles: ['control-plane', 'etcd', 'worker'], ssh: inv.ssh },
    ]);
    expect(inv.source).toBe('/srv/cluster/inventory.yaml');
  });

  it('picks local-proxy for 2+ control-plane hosts and none for one', () => {
    expect(valid(fixture('even-etcd.yaml')).cluster.apiServer.ha).toBe('local-proxy');
    expect(valid(fixture('single-master.yaml')).cluster.apiServer.ha).toBe('none');
  });

  it('puts clusterDNS on the 2nd address of serviceCIDR, IPv6 included', () => {
    expect(valid(fixture('ipv6.yaml')).cluster.clusterDNS).toBe('fd00:10::2');
    const text = fixture('single-master.yaml').replace('kubernetesVersion: v1.37.2', 'kubernetesVersion: v1.37.2\n  serviceCIDR: 172.20.0.0/16');
    expect(valid(text).cluster.clusterDNS).toBe('172.20.0.2');
  });

  it('merges per-host ssh overrides over the defaults; sudo and bastion.user follow the merged user', () => {
    const inv = valid(fixture('dns-names-and-ssh-overrides.yaml'));
    expect(inv.ssh.sudo).toBe(true); // admin is not root
    expect(inv.ssh.bastion).toEqual({ address: 'jump.example.com', port: 22, user: 'admin' });
    const [cp1, w1] = inv.hosts;
    expect(cp1?.ssh).toEqual(inv.ssh);
    expect(w1?.ssh).toEqual({
      user: 'root',
      port: 2222,
      identityFile: '~/.ssh/id_ed25519', // kept as written: the ssh layer expands ~
      agent: true,
      knownHostsFile: '~/.ssh/known_hosts',
      hostKeyPolicy: 'accept-new',
      bastion: { address: 'jump2.example.com', port: 22, user: 'hop' },
      sudo: false,
      connectTimeoutSeconds: 10,
    });
    expect(w1?.internalIP).toBe('10.20.0.11');
  });

  it('keeps an explicit sudo: false for a non-root user', () => {
    const text = fixture('single-master.yaml').replace('hosts:', 'ssh: { user: ops, sudo: false }\nhosts:');
    expect(valid(text).hosts[0]?.ssh).toMatchObject({ user: 'ops', sudo: false });
  });

  it('never replaces a value that was written', () => {
    const inv = valid(fixture('every-field.yaml'));
    expect(inv.cluster).toEqual({
      name: 'full',
      kubernetesVersion: 'v1.33.4',
      etcdVersion: 'v3.6.8',
      serviceCIDR: '10.96.0.0/12',
      podCIDR: '10.32.0.0/12',
      clusterDNS: '10.96.0.10',
      clusterDomain: 'k8s.internal',
      apiServer: { ha: 'local-proxy', port: 8443, vipPort: 18443, vipInterface: 'eth0', extraSANs: ['api.full.example'] },
      proxyMode: 'iptables',
      cni: 'none',
      coredns: false,
    });
    expect(inv.pki).toEqual({
      keyAlgorithm: 'ecdsa-p384',
      caValidityDays: 7300,
      leafValidityDays: 90,
      adminIdentity: 'system-masters',
      bootstrapTokenTTLHours: 2,
      csrMaxExpirationDays: 30,
    });
    expect(inv.ssh).toEqual({
      user: 'root',
      port: 2200,
      identityFile: '/keys/id',
      agent: false,
      knownHostsFile: '/keys/known_hosts',
      hostKeyPolicy: 'strict',
      bastion: { address: '198.51.100.1', port: 2022, user: 'jumper', identityFile: '/keys/jump' },
      sudo: true,
      connectTimeoutSeconds: 30,
    });
    expect(inv.bundle).toEqual({ dir: '/srv/bundles/v1.29.9' });
    expect(inv.paths).toEqual({ etcd: '/usr/local/etcd', kubernetes: '/usr/local/kubernetes' });
    expect(inv.containerd).toEqual({
      snapshotter: 'native',
      noNewKeyring: true,
      restrictOomScoreAdj: true,
      sandboxImage: 'registry.example/pause:3.10',
      version: 'v2.2.1',
      mirrors: [{ registry: 'docker.io', endpoints: ['https://mirror.example:5000', 'http://10.0.0.5:5000/v2'] }],
    });
    expect(inv.concurrency).toEqual({ hosts: 3, uploads: 1, restarts: { controlPlane: 2, workers: '25%' } });
    expect(inv.kubelet).toEqual({ failCgroupV1: true });
    expect(inv.kubeProxy).toEqual({ conntrack: { maxPerCore: 0, min: 65536, tcpEstablishedTimeout: '12h', tcpCloseWaitTimeout: '30m' } });
    expect(inv.hosts.map((h) => [h.name, h.address, h.internalIP])).toEqual([
      ['m1', '192.168.1.1', '172.16.0.1'],
      ['m2', '192.168.1.2', '172.16.0.2'],
      ['m3', '192.168.1.3', '172.16.0.3'],
    ]);
  });

  it('keeps the vip and the loadbalancer hosts', () => {
    const inv = valid(fixture('vip.yaml'));
    expect(inv.cluster.apiServer).toEqual({
      ha: 'vip',
      vip: '192.168.80.88',
      port: 6443,
      vipPort: 16443,
      vipInterface: 'ens3',
      extraSANs: ['k8s.example.com', '*.api.example.com', '203.0.113.7'],
    });
    expect(inv.hosts.filter((h) => h.roles.includes('loadbalancer')).map((h) => h.name)).toEqual(['lb01', 'lb02']);
  });

  it('defaults proxyMode by version: ipvs before v1.35, nftables from v1.35; an explicit mode wins', () => {
    const at = (v: string, extra = ''): Inventory => valid(fixture('single-master.yaml').replace('kubernetesVersion: v1.37.2', `kubernetesVersion: ${v}${extra}`));
    expect(at('v1.34.4').cluster.proxyMode).toBe('ipvs');
    expect(at('v1.35.0').cluster.proxyMode).toBe('nftables');
    expect(at('v1.38.0', '\n  proxyMode: iptables').cluster.proxyMode).toBe('iptables');
  });
});
