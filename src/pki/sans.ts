/** Named SAN sources -> concrete DNS names and IPs for one certificate (and host). Pure. */
import { hostsWithRole, type Inventory, type InventoryHost } from '../inventory/types.js';
import { formatIp, nthIp, parseIp } from '../shared/net.js';
import type { SanSource } from './profile-types.js';

/** Subject alternative names, normalised: DNS lowercased, IPs in canonical text form; sorted, unique. */
export interface Sans {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/** Canonical text of an IP (so "::0001" and "::1" compare equal); undefined when not an IP. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
}

/** Puts a name or IP into the right bucket. */
function add(out: { dns: Set<string>; ips: Set<string> }, value: string): void {
  const ip = canonicalIp(value);
  if (ip !== undefined) out.ips.add(ip);
  else out.dns.add(value.toLowerCase());
}

/** The values one source contributes. `host` is set for per-host certificates. */
function sourceValues(src: SanSource, inv: Inventory, host: InventoryHost | undefined): readonly string[] {
  const domain = inv.cluster.clusterDomain;
  switch (src) {
    case 'host.name':
      return host ? [host.name] : [];
    case 'host.internalIP':
      return host ? [host.internalIP] : [];
    case 'localhost':
      return ['localhost'];
    case 'loopback.ipv4':
      return ['127.0.0.1'];
    case 'loopback.ipv6':
      return ['::1'];
    case 'apiserver.defaultNames':
      // in-cluster clients reach the apiserver through the `kubernetes` Service in `default`
      return ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`];
    case 'apiserver.serviceIP': {
      // the ClusterIP of the `kubernetes` Service is the first address of the service range
      const ip = nthIp(inv.cluster.serviceCIDR, 1);
      return ip ? [ip] : [];
    }
    case 'apiserver.vip':
      return inv.cluster.apiServer.ha === 'vip' && inv.cluster.apiServer.vip ? [inv.cluster.apiServer.vip] : [];
    case 'apiserver.extraSANs':
      return inv.cluster.apiServer.extraSANs;
    case 'controlPlane.names':
      return hostsWithRole(inv, 'control-plane').map((h) => h.name);
    case 'controlPlane.ips':
      return hostsWithRole(inv, 'control-plane').map((h) => h.internalIP);
  }
}

/** Resolves a profile's SAN sources for the inventory (and host, for per-host certificates). */
export function resolveSans(sources: readonly SanSource[], inv: Inventory, host?: InventoryHost): Sans {
  const out = { dns: new Set<string>(), ips: new Set<string>() };
  for (const src of sources) for (const v of sourceValues(src, inv, host)) add(out, v);
  return { dns: [...out.dns].sort(), ips: [...out.ips].sort() };
}

/** Normalises SANs read from an existing certificate the same way. */
export function normaliseSans(dns: readonly string[], ips: readonly string[]): Sans {
  const out = { dns: new Set<string>(), ips: new Set<string>() };
  for (const d of dns) out.dns.add(d.toLowerCase());
  for (const i of ips) out.ips.add(canonicalIp(i) ?? i);
  return { dns: [...out.dns].sort(), ips: [...out.ips].sort() };
}

/** Human diff "+IP 10.0.0.3, -DNS old" between wanted and actual SANs; empty when equal. */
export function sanDiff(want: Sans, have: Sans): string {
  const d = (kind: string, w: readonly string[], h: readonly string[]): string[] => [
    ...w.filter((x) => !h.includes(x)).map((x) => `+${kind} ${x}`),
    ...h.filter((x) => !w.includes(x)).map((x) => `-${kind} ${x}`),
  ];
  return [...d('DNS', want.dns, have.dns), ...d('IP', want.ips, have.ips)].join(', ');
}
