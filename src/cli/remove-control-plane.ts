/**
 * What `kubesmith remove HOST` checks and says for a control-plane host, before anything changes:
 * another control plane must stay to serve the API, and with `ha: none` the nodes' kubeconfigs
 * name the first control-plane host, which therefore cannot leave (the proxies of local-proxy and
 * vip are what let any apiserver go).
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { hostsWithRole } from '../inventory/types.js';
import { UsageError } from '../shared/errors.js';

/** Refuses a control-plane removal that would leave the nodes without an API; nothing is changed. */
export function checkControlPlaneRemoval(inv: Inventory, host: InventoryHost): void {
  const name = host.name;
  const cps = hostsWithRole(inv, 'control-plane').map((h) => h.name);
  if (cps.length === 1) {
    throw new UsageError(`remove: ${name} is the only control-plane host: the cluster would have no API`, {
      hint: `add another control-plane host to ${inv.source} and run \`kubesmith apply\` first; nothing was changed`,
    });
  }
  if (inv.cluster.apiServer.ha === 'none' && cps[0] === name) {
    throw new UsageError(`remove: with apiServer.ha: none every node reaches the API at ${name}, the first control-plane host: removing it cuts every kubelet and kube-proxy off`, {
      hint: `set cluster.apiServer.ha: local-proxy (or vip) in ${inv.source} and run \`kubesmith apply\` (every node then balances over all apiservers), then remove ${name}; nothing was changed`,
    });
  }
}

/** The hosts whose API proxy lists every apiserver: every node with local-proxy, the balancers with vip. */
export function apiProxyHosts(inv: Inventory): readonly string[] {
  const ha = inv.cluster.apiServer.ha;
  if (ha === 'vip') return hostsWithRole(inv, 'loadbalancer').map((h) => h.name);
  if (ha === 'local-proxy') return inv.hosts.filter((h) => h.roles.includes('control-plane') || h.roles.includes('worker')).map((h) => h.name);
  return [];
}

/** The lines `remove` prints for a control-plane host, after the host's own. */
export function controlPlaneRemovedLines(inv: Inventory, name: string): readonly string[] {
  const first = hostsWithRole(inv, 'control-plane').map((h) => h.name).filter((n) => n !== name)[0];
  return [
    `${name} was taken out of every API proxy before its kube-apiserver, kube-controller-manager and kube-scheduler stopped; the other control-plane hosts serve the API.`,
    ...(inv.cluster.apiServer.ha !== 'vip' && hostsWithRole(inv, 'control-plane')[0]?.name === name
      ? [`the admin kubeconfig in the state names ${name}'s apiserver: the next apply rewrites it for ${first}`]
      : []),
  ];
}
