/**
 * Which kube-apiserver URL each client uses, by HA mode.
 *
 * Design (local-proxy): the proxy must own 127.0.0.1:<port> on EVERY node, control-plane hosts
 * included, so that every node-side kubeconfig is identical. kube-apiserver therefore binds only
 * its internalIP (--bind-address) in that mode; binding a specific address does not conflict with
 * the proxy's 127.0.0.1 socket on the same port. controller-manager and scheduler skip the proxy
 * and talk to their own apiserver at https://<internalIP>:<port> (kubeadm's "local endpoint").
 * In vip and none modes kube-apiserver binds 0.0.0.0, so 127.0.0.1:<port> reaches it directly.
 * kubesmith's own access to one host's apiserver (readiness probes, the SSH-forwarded API) must
 * therefore not assume 127.0.0.1: with local-proxy that is nginx, which answers only once the nodes
 * phase has installed it and then hands the request to any apiserver, not necessarily this one.
 */
import { hostsWithRole, type Inventory, type InventoryHost } from '../inventory/types.js';
import { InternalError } from '../shared/errors.js';

/** The address kube-apiserver binds on `host`. */
export function apiserverBindAddress(inv: Inventory, host: InventoryHost): string {
  return inv.cluster.apiServer.ha === 'local-proxy' ? host.internalIP : '0.0.0.0';
}

/**
 * The address on `host` itself where its own kube-apiserver answers: the address it binds, or
 * loopback when it binds every address. SSH-forwarded API access connects here.
 */
export function ownApiserverAddress(inv: Inventory, host: InventoryHost): string {
  const bind = apiserverBindAddress(inv, host);
  return bind === '0.0.0.0' ? '127.0.0.1' : bind;
}

/** URL kubelet and kube-proxy use on every node. */
export function nodeServerUrl(inv: Inventory): string {
  const api = inv.cluster.apiServer;
  if (api.ha === 'local-proxy') return `https://127.0.0.1:${api.port}`;
  if (api.ha === 'vip') return `https://${hostPart(vipOf(inv))}:${api.vipPort}`;
  return `https://${hostPart(firstControlPlane(inv).internalIP)}:${api.port}`;
}

/** URL controller-manager and scheduler use: their own host's apiserver. */
export function localServerUrl(inv: Inventory, host: InventoryHost): string {
  return `https://${hostPart(host.internalIP)}:${inv.cluster.apiServer.port}`;
}

/** URL in the operator's admin kubeconfig: the VIP, or the first control-plane host. */
export function adminServerUrl(inv: Inventory): string {
  const api = inv.cluster.apiServer;
  if (api.ha === 'vip') return `https://${hostPart(vipOf(inv))}:${api.vipPort}`;
  return `https://${hostPart(firstControlPlane(inv).internalIP)}:${api.port}`;
}

/** "ip:port" of every kube-apiserver, for the nginx upstream blocks. */
export function apiserverUpstreams(inv: Inventory): readonly string[] {
  return hostsWithRole(inv, 'control-plane').map((h) => `${hostPart(h.internalIP)}:${inv.cluster.apiServer.port}`);
}

/** The first control-plane host; validation guarantees there is one. */
export function firstControlPlane(inv: Inventory): InventoryHost {
  const cp = hostsWithRole(inv, 'control-plane')[0];
  if (!cp) throw new InternalError('the inventory has no control-plane host (validation should have caught this)');
  return cp;
}

function vipOf(inv: Inventory): string {
  const vip = inv.cluster.apiServer.vip;
  if (vip === undefined) throw new InternalError('apiServer.ha is vip but no vip is set (validation should have caught this)');
  return vip;
}

/** IPv6 literals need brackets in URLs and host:port pairs. */
export function hostPart(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}
