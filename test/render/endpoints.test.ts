/**
 * Where kubesmith itself reaches one control-plane host's own kube-apiserver (src/render/endpoints.ts):
 * with ha: local-proxy the apiserver binds only its internalIP and 127.0.0.1:<port> is nginx in front of
 * every apiserver (and absent until the nodes phase installs it), so loopback is not this apiserver.
 * Found by the real two-control-plane e2e (test/hosts/apply-k8s-ha.e2e.test.ts): apply waited for
 * /readyz on 127.0.0.1 in the control-plane phase and failed with "connection refused" on both hosts.
 */
import { describe, expect, it } from 'vitest';
import { apiserverBindAddress, ownApiserverAddress } from '../../src/render/endpoints.js';
import { tunnelTarget } from '../../src/cli/commands/_kube-session.js';
import type { ApiHaMode, Inventory } from '../../src/inventory/types.js';
import { exampleInventory } from '../support/inventory-builder.js';

function withHa(ha: ApiHaMode): Inventory {
  const inv = exampleInventory();
  return { ...inv, cluster: { ...inv.cluster, apiServer: { ...inv.cluster.apiServer, ha, ...(ha === 'vip' ? { vip: '192.168.80.88' } : {}) } } };
}

describe('a control-plane host\'s own apiserver', () => {
  const master02 = (inv: Inventory) => inv.hosts.find((h) => h.name === 'master02')!;

  it('is its internalIP with ha: local-proxy, where the apiserver binds only that address', () => {
    const inv = withHa('local-proxy');
    expect(apiserverBindAddress(inv, master02(inv))).toBe('192.168.80.20');
    expect(ownApiserverAddress(inv, master02(inv))).toBe('192.168.80.20');
    expect(tunnelTarget(inv, master02(inv))).toEqual({ address: '192.168.80.20', port: 6443, describe: 'https://192.168.80.20:6443 via ssh master02' });
  });

  it('is loopback with ha: vip or none, where the apiserver binds every address', () => {
    for (const ha of ['vip', 'none'] as const) {
      const inv = withHa(ha);
      expect(apiserverBindAddress(inv, master02(inv)), ha).toBe('0.0.0.0');
      expect(tunnelTarget(inv, master02(inv)), ha).toEqual({ address: '127.0.0.1', port: 6443, describe: 'https://127.0.0.1:6443 via ssh master02' });
    }
  });

  it('is bracketed in the description when it is an IPv6 address', () => {
    const base = withHa('local-proxy');
    const inv = { ...base, hosts: base.hosts.map((h) => (h.name === 'master02' ? { ...h, internalIP: 'fd00::20' } : h)) };
    expect(tunnelTarget(inv, master02(inv))).toEqual({ address: 'fd00::20', port: 6443, describe: 'https://[fd00::20]:6443 via ssh master02' });
  });
});
