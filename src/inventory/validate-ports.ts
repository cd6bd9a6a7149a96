/**
 * Port collisions on one host: a configurable port (cluster.apiServer.port, vipPort, the SSH
 * port) equal to a port another component kubesmith installs on the same host listens on. Two
 * listeners on one port: the second never starts. The fixed ports are the ones kubesmith renders
 * (units/, manifests/, render/views/): etcd 2379/2380 and metrics 2381, kubelet 10250 and healthz
 * 10248, kube-proxy metrics 10249 and healthz 10256, controller-manager 10257, scheduler 10259.
 */
import type { ApiHaMode } from './types.js';
import type { IssueSink } from './validate-context.js';
import { indexedHosts } from './validate-hosts.js';
import type { RawHost, RawInventory } from './validate-shape.js';

interface Listener {
  readonly port: number;
  readonly who: string;
  /** The inventory key that sets this port; absent for fixed ports. */
  readonly path?: string;
}

const FIXED: Readonly<Record<'etcd' | 'control-plane' | 'node', readonly Listener[]>> = {
  etcd: [
    { port: 2379, who: 'etcd (clients)' },
    { port: 2380, who: 'etcd (peers)' },
    { port: 2381, who: 'etcd (metrics)' },
  ],
  'control-plane': [
    { port: 10257, who: 'kube-controller-manager' },
    { port: 10259, who: 'kube-scheduler' },
  ],
  node: [
    { port: 10250, who: 'kubelet' },
    { port: 10248, who: 'kubelet (healthz)' },
    { port: 10249, who: 'kube-proxy (metrics)' },
    { port: 10256, who: 'kube-proxy (healthz)' },
  ],
};

/** The configured ports; undefined where the value was invalid (already reported). */
interface Ports {
  readonly api: number | undefined;
  readonly vip: number | undefined;
}

/** Every listener kubesmith sets up on `h` (plus sshd, when kubesmith connects to the host directly). */
function listenersOf(raw: RawInventory, h: RawHost, i: number, ha: ApiHaMode | undefined, ports: Ports, sink: IssueSink): Listener[] {
  const roles = new Set(h.roles ?? []);
  const node = roles.has('control-plane') || roles.has('worker');
  const out: Listener[] = [];
  if (roles.has('etcd')) out.push(...FIXED.etcd);
  if (roles.has('control-plane')) {
    if (ports.api !== undefined) out.push({ port: ports.api, who: 'kube-apiserver', path: 'cluster.apiServer.port' });
    out.push(...FIXED['control-plane']);
  }
  if (node) {
    out.push(...FIXED.node);
    // On a control-plane host the proxy shares the apiserver's port on 127.0.0.1 (endpoints.ts): not a collision.
    if (ha === 'local-proxy' && ports.api !== undefined && !roles.has('control-plane')) {
      out.push({ port: ports.api, who: 'the local API proxy (nginx)', path: 'cluster.apiServer.port' });
    }
  }
  if (roles.has('loadbalancer') && ha === 'vip' && ports.vip !== undefined) {
    out.push({ port: ports.vip, who: 'the API load balancer (nginx)', path: 'cluster.apiServer.vipPort' });
  }
  // sshd listens on the SSH port when kubesmith reaches the host directly on its own address
  // (through a bastion or another address, the port may be forwarded and say nothing).
  const direct = h.ssh?.bastion === undefined && raw.ssh?.bastion === undefined && (h.internalIP === undefined || h.internalIP === h.address);
  const sshPath = h.ssh?.port !== undefined ? `hosts[${i}].ssh.port` : raw.ssh?.port !== undefined ? 'ssh.port' : undefined;
  const sshInvalid = sink.has(`hosts[${i}].ssh.port`) ? h.ssh?.port === undefined : sink.has('ssh.port') && raw.ssh?.port === undefined;
  if (direct && !sshInvalid) out.push({ port: h.ssh?.port ?? raw.ssh?.port ?? 22, who: 'sshd (kubesmith connects on it)', ...(sshPath ? { path: sshPath } : {}) });
  return out;
}

/** Reports each configurable port that collides with another listener on some host, once per collision. */
export function validatePorts(raw: RawInventory, sink: IssueSink, ha: ApiHaMode | undefined): void {
  const api = raw.cluster?.apiServer;
  const ports: Ports = {
    api: sink.has('cluster.apiServer.port') && api?.port === undefined ? undefined : (api?.port ?? 6443),
    vip: sink.has('cluster.apiServer.vipPort') && api?.vipPort === undefined ? undefined : (api?.vipPort ?? 16443),
  };
  const found = new Map<string, { path: string; port: number; a: string; b: string; hosts: string[] }>();
  for (const { h, i } of indexedHosts(raw)) {
    const byPort = new Map<number, Listener>();
    for (const l of listenersOf(raw, h, i, ha, ports, sink)) {
      const other = byPort.get(l.port);
      byPort.set(l.port, other ?? l);
      if (other === undefined || other.who === l.who) continue;
      // apiServer.port == vipPort on a control-plane load balancer is reported by validate-cluster.ts.
      if (other.path?.startsWith('cluster.apiServer') && l.path?.startsWith('cluster.apiServer')) continue;
      // Name the key the operator would change: a cluster port first, then an SSH port.
      const rank = (x: Listener): number => (x.path === undefined ? 2 : x.path.startsWith('cluster.') ? 0 : 1);
      const [mine, theirs] = rank(l) <= rank(other) ? [l, other] : [other, l];
      const path = mine.path ?? 'hosts';
      const key = `${path} ${l.port}`;
      const entry = found.get(key) ?? { path, port: l.port, a: mine.who, b: theirs.who, hosts: [] };
      entry.hosts.push(h.name ?? `hosts[${i}]`);
      found.set(key, entry);
    }
  }
  for (const { path, port, a, b, hosts } of found.values()) {
    const more = hosts.length > 1 ? ` (and ${hosts.length - 1} more host${hosts.length === 2 ? '' : 's'})` : '';
    sink.error(path, `port ${port} is taken twice on host "${hosts[0] ?? ''}"${more}: ${a} and ${b} both listen on it; set ${path.replace(/^hosts\[\d+\]\./, 'this host\'s ')} to a free port`);
  }
}
