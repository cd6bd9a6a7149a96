/**
 * Host and VIP addresses that cannot work: the unspecified address, broadcast, multicast, an
 * internal IP of the other family than the cluster's, and, for nodes, link-local addresses, which
 * kubelet refuses as node IP (pkg/kubelet/nodestatus validateNodeIP) and kube-apiserver cannot
 * publish in the `kubernetes` Endpoints. Loopback is only warned about: one-machine test setups
 * (etcd on 127.x.y.z) use it on purpose.
 */
import { parseIp, specialIpKind } from '../shared/net.js';
import type { SpecialIpKind } from '../shared/net.js';
import type { IssueSink } from './validate-context.js';
import { indexedHosts } from './validate-hosts.js';
import type { RawHost, RawInventory } from './validate-shape.js';

/** Why an address of each kind is not one machine's address (completes "... is ..."). */
const WHY: Readonly<Record<SpecialIpKind, string>> = {
  unspecified: 'the unspecified address, which names no machine',
  'this-network': 'in 0.0.0.0/8, which is never a destination (RFC 1122)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  'ipv4-mapped': 'an IPv4-mapped IPv6 address',
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
};

/** Kinds that are never a usable host, SSH or VIP address. */
const NEVER: ReadonlySet<SpecialIpKind> = new Set(['unspecified', 'this-network', 'broadcast', 'multicast', 'ipv4-mapped']);

function fixFor(kind: SpecialIpKind, text: string, what: string): string {
  if (kind === 'ipv4-mapped') {
    const v4 = text.slice(text.lastIndexOf(':') + 1);
    return /^\d+\.\d+\.\d+\.\d+$/.test(v4) ? `write it as ${v4}` : 'write it as plain IPv4';
  }
  return `use ${what}`;
}

const runsKubelet = (h: RawHost): boolean => h.roles?.some((r) => r === 'control-plane' || r === 'worker') ?? false;

/** Checks every host's SSH address and internal IP, and the VIP; `family` is the cluster's IP family. */
export function validateAddresses(raw: RawInventory, sink: IssueSink, family: { version: 4 | 6; from: string } | undefined): void {
  for (const { h, i } of indexedHosts(raw)) {
    const name = h.name ?? `hosts[${i}]`;
    const explicit = sink.has(`hosts[${i}].internalIP`);
    if (explicit && h.address !== undefined) {
      // Reached over SSH only: everything but the never-usable kinds can be right (a tunnel on 127.0.0.1).
      const p = parseIp(h.address);
      const kind = p === undefined ? undefined : specialIpKind(p);
      if (kind !== undefined && NEVER.has(kind)) {
        sink.error(`hosts[${i}].address`, `address ${h.address} of host "${name}" is ${WHY[kind]}, where SSH cannot reach a host; ${fixFor(kind, h.address, 'the address kubesmith connects to')}`);
      }
    }
    const key = explicit ? 'internalIP' : 'address';
    const ip = explicit ? h.internalIP : h.address;
    const p = ip === undefined ? undefined : parseIp(ip);
    if (ip === undefined || p === undefined) continue;
    const path = `hosts[${i}].${key}`;
    const kind = specialIpKind(p);
    const use = 'the address the other hosts reach this one on';
    if (kind !== undefined && (NEVER.has(kind) || (kind === 'link-local' && runsKubelet(h)))) {
      const why = kind === 'link-local' ? '; kubelet refuses it as node IP and kube-apiserver cannot advertise it' : '';
      sink.error(path, `${key} ${ip} of host "${name}" is ${WHY[kind]}${why}; ${fixFor(kind, ip, use)}`);
    } else if (kind === 'loopback') {
      const refuse = runsKubelet(h) ? ', and kubelet and kube-apiserver refuse it' : '';
      sink.warning(path, `${key} ${ip} of host "${name}" is ${WHY[kind]}: no other host reaches it${refuse}; it works only for a one-machine test, otherwise ${fixFor(kind, ip, use)}`);
    } else if (family !== undefined && p.version !== family.version) {
      sink.error(path, `${key} ${ip} of host "${name}" is IPv${p.version}, but the cluster is IPv${family.version} (${family.from}); use the host's IPv${family.version} address (dual-stack is not supported)`);
    }
  }
  const vip = raw.cluster?.apiServer?.vip;
  const v = vip === undefined ? undefined : parseIp(vip);
  if (vip === undefined || v === undefined) return;
  const kind = specialIpKind(v);
  if (kind !== undefined && kind !== 'link-local') {
    sink.error('cluster.apiServer.vip', `vip ${vip} is ${WHY[kind]}; keepalived must hold an address the nodes reach; ${fixFor(kind, vip, 'an unused address of the load balancers\' network')}`);
  } else if (family !== undefined && v.version !== family.version) {
    sink.error('cluster.apiServer.vip', `vip ${vip} is IPv${v.version}, but the cluster is IPv${family.version} (${family.from}); use an unused IPv${family.version} address of the load balancers' network`);
  }
}
