/**
 * Boundaries of the "cluster that cannot run" rules (#13 item 8) that the fixtures do not pin:
 * exactly enough node Pod ranges passes, one host more fails; what only looks odd still passes.
 */
import { describe, expect, it } from 'vitest';
import { validateInventory } from '../../src/inventory/validate.js';

function inventory(cluster: string, hosts: readonly string[]): string {
  return ['apiVersion: kubesmith/v1alpha1', 'cluster:', '  name: demo', '  kubernetesVersion: v1.31.2', ...cluster.split('\n').filter(Boolean).map((l) => `  ${l}`), 'hosts:', ...hosts.map((h) => `  - ${h}`), ''].join('\n');
}
const errors = (text: string): string[] => validateInventory(text, 'inv.yaml').issues.filter((i) => i.severity === 'error').map((i) => i.message);
const workers = (n: number, base = '192.168.80.'): string[] => Array.from({ length: n }, (_, i) => `{ name: node${i}, address: ${base}${i + 20}, roles: [worker] }`);
const MASTER = '{ name: master01, address: 192.168.80.10, roles: [control-plane, etcd] }';

describe('podCIDR against the node ranges kube-controller-manager hands out', () => {
  it('a /22 gives 4 nodes a /24 each: 4 kubelet hosts pass, 5 fail', () => {
    expect(errors(inventory('podCIDR: 10.244.0.0/22', [MASTER, ...workers(3)]))).toEqual([]);
    expect(errors(inventory('podCIDR: 10.244.0.0/22', [MASTER, ...workers(4)]))).toEqual([
      'podCIDR 10.244.0.0/22 holds 4 node ranges of /24, but 5 hosts run kubelet (control-plane and worker); use a /21 or larger',
    ]);
  });

  it('a /24 holds exactly one node; etcd-only and loadbalancer-only hosts need none', () => {
    const etcdOnly = '{ name: etcd02, address: 192.168.80.12, roles: [etcd] }';
    expect(errors(inventory('podCIDR: 10.244.0.0/24', ['{ name: solo, address: 192.168.80.10, roles: [control-plane, etcd, worker] }', etcdOnly]))).toEqual([]);
  });

  it('IPv6: /48 to /64 pass, /47 and /65 fail', () => {
    const v6 = (pod: string): string[] => errors(inventory(`serviceCIDR: fd00:10::/108\npodCIDR: ${pod}`, ['{ name: master01, address: "fd00::10", roles: [control-plane, etcd] }']));
    expect(v6('fd00:244::/48')).toEqual([]);
    expect(v6('fd00:244::/64')).toEqual([]);
    expect(v6('fd00:244::/47')[0]).toMatch(/allows at most 16 bits between the two; use a \/48 to \/64$/);
    expect(v6('fd00:244::/65')[0]).toMatch(/smaller than the \/64 range kube-controller-manager gives each node/);
  });
});

describe('what only looks odd still passes', () => {
  it('the local proxy and kube-apiserver share the API port on a control-plane host (127.0.0.1 vs internalIP)', () => {
    const masters = ['{ name: m1, address: 192.168.80.10, roles: [control-plane, etcd, worker] }', '{ name: m2, address: 192.168.80.11, roles: [control-plane, etcd] }'];
    expect(errors(inventory('apiServer: { ha: local-proxy }', [...masters, '{ name: m3, address: 192.168.80.12, roles: [etcd] }']))).toEqual([]);
  });

  it('SSH through a tunnel on 127.0.0.1, a link-local VIP, .0 and .255 host addresses', () => {
    const hosts = [
      '{ name: master01, address: 127.0.0.1, internalIP: 192.168.80.0, roles: [control-plane, etcd], ssh: { port: 2201 } }',
      '{ name: lb1, address: 192.168.80.255, roles: [loadbalancer] }',
      '{ name: lb2, address: 192.168.81.1, roles: [loadbalancer] }',
    ];
    expect(errors(inventory('apiServer: { ha: vip, vip: 169.254.100.1 }', hosts))).toEqual([]);
  });

  it('one IPv6 address on two SSH ports is two hosts; fd00::10 port 2222 is not fd00::10:2222', () => {
    const hosts = [
      '{ name: master01, address: "fd00::10", internalIP: 192.168.80.10, roles: [control-plane, etcd], ssh: { port: 2222 } }',
      '{ name: node01, address: "fd00::10:2222", internalIP: 192.168.80.11, roles: [worker] }',
      '{ name: node02, address: "fd00::10", internalIP: 192.168.80.12, roles: [worker], ssh: { port: 2223 } }',
    ];
    expect(errors(inventory('', hosts))).toEqual([]);
  });

  it('a port collision behind a bastion is not one: the SSH port may be forwarded', () => {
    const host = '{ name: master01, address: 192.168.80.10, roles: [control-plane, etcd], ssh: { port: 2379, bastion: { address: jump.example.com } } }';
    expect(errors(inventory('', [host]))).toEqual([]);
    expect(errors(inventory('', [host.replace(', bastion: { address: jump.example.com }', '')]))).toEqual([
      'port 2379 is taken twice on host "master01": sshd (kubesmith connects on it) and etcd (clients) both listen on it; set this host\'s ssh.port to a free port',
    ]);
  });
});
