/** The checks `remove` makes for a control-plane host before anything changes (remove-control-plane.ts). */
import { describe, expect, it } from 'vitest';
import { apiProxyHosts, checkControlPlaneRemoval, controlPlaneRemovedLines } from '../../src/cli/remove-control-plane.js';
import type { Inventory } from '../../src/inventory/types.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';

const withHa = (inv: Inventory, ha: 'local-proxy' | 'vip' | 'none'): Inventory => ({ ...inv, cluster: { ...inv.cluster, apiServer: { ...inv.cluster.apiServer, ha, ...(ha === 'vip' ? { vip: '10.0.0.100' } : {}) } } });
const hosts = [aHost('cp1', '10.0.0.1', ['etcd', 'control-plane']), aHost('cp2', '10.0.0.4', ['control-plane']), aHost('wk1', '10.0.0.2', ['worker']), aHost('lb1', '10.0.0.9', ['loadbalancer'])];
const inv = (ha: 'local-proxy' | 'vip' | 'none', list = hosts): Inventory => withHa(exampleInventory({ hosts: list }), ha);
const host = (i: Inventory, name: string) => i.hosts.find((h) => h.name === name) as Inventory['hosts'][number];

describe('control-plane removal checks', () => {
  it('refuses the only control-plane host, and with ha: none the first one, naming the way out', () => {
    const one = inv('local-proxy', hosts.filter((h) => h.name !== 'cp2'));
    expect(() => checkControlPlaneRemoval(one, host(one, 'cp1'))).toThrow(/cp1 is the only control-plane host: the cluster would have no API/);
    const none = inv('none');
    expect(() => checkControlPlaneRemoval(none, host(none, 'cp1'))).toThrow(/with apiServer\.ha: none every node reaches the API at cp1/);
    expect(() => checkControlPlaneRemoval(none, host(none, 'cp2'))).not.toThrow();
    for (const ha of ['local-proxy', 'vip'] as const) expect(() => checkControlPlaneRemoval(inv(ha), host(inv(ha), 'cp1'))).not.toThrow();
  });

  it('the proxies to update are every node with local-proxy, the balancers with vip, none with none', () => {
    expect(apiProxyHosts(inv('local-proxy'))).toEqual(['cp1', 'cp2', 'wk1']);
    expect(apiProxyHosts(inv('vip'))).toEqual(['lb1']);
    expect(apiProxyHosts(inv('none'))).toEqual([]);
  });

  it('says when the admin kubeconfig named the removed host', () => {
    expect(controlPlaneRemovedLines(inv('local-proxy'), 'cp1').join('\n')).toMatch(/admin kubeconfig in the state names cp1's apiserver: the next apply rewrites it for cp2/);
    expect(controlPlaneRemovedLines(inv('local-proxy'), 'cp2').join('\n')).not.toMatch(/admin kubeconfig/);
    expect(controlPlaneRemovedLines(inv('vip'), 'cp1').join('\n')).not.toMatch(/admin kubeconfig/);
  });
});
