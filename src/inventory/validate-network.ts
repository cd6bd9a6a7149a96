/**
 * Address-plan rules: serviceCIDR, podCIDR and clusterDNS are well-formed and fit together, and
 * no host or VIP address falls inside the Service or Pod ranges (traffic to it would be routed
 * into the cluster network by kube-proxy / the CNI instead of reaching the host).
 */
import { cidrContains, cidrsOverlap, formatIp, nthIp, parseCidr, parseIp } from '../shared/net.js';
import type { Cidr } from '../shared/net.js';
import type { IssueSink } from './validate-context.js';
import type { RawInventory } from './validate-shape.js';
import { DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR } from './defaults.js';
import { validateAddresses } from './validate-addresses.js';

/** Reads a CIDR, reporting malformed ones and ones with host bits set. */
function checkCidr(sink: IssueSink, path: string, key: string, text: string): Cidr | undefined {
  const c = parseCidr(text);
  if (c === undefined) {
    sink.error(path, `${key} "${text}" is not a valid CIDR; write it like 10.0.0.0/24`);
    return undefined;
  }
  const written = parseIp(text.split('/')[0] ?? '');
  if (written !== undefined && written.value !== c.base) {
    const fixed = `${formatIp({ version: c.version, value: c.base })}/${c.prefix}`;
    sink.error(path, `${key} ${text} has host bits set; did you mean ${fixed}?`);
    return undefined;
  }
  return c;
}

/** kube-apiserver refuses service ranges with more than 20 host bits (/12 for IPv4, /108 for IPv6). */
function checkServiceSize(sink: IssueSink, c: Cidr): void {
  const bits = c.version === 4 ? 32 : 128;
  if (bits - c.prefix > 20) {
    sink.error('cluster.serviceCIDR', `serviceCIDR ${c.text} is too large; kube-apiserver accepts at most a /${bits - 20}`);
  } else if (bits - c.prefix < 2) {
    sink.error('cluster.serviceCIDR', `serviceCIDR ${c.text} is too small; it needs room for the kubernetes Service and cluster DNS (use a /${bits - 8} or larger)`);
  }
}

/** Checks the cluster's address plan and every host/VIP address against it. */
export function validateNetwork(raw: RawInventory, sink: IssueSink): void {
  const cl = raw.cluster ?? {};
  const svcText = cl.serviceCIDR ?? (sink.has('cluster.serviceCIDR') ? undefined : DEFAULT_SERVICE_CIDR);
  const podText = cl.podCIDR ?? (sink.has('cluster.podCIDR') ? undefined : DEFAULT_POD_CIDR);
  const svc = svcText === undefined ? undefined : checkCidr(sink, 'cluster.serviceCIDR', 'serviceCIDR', svcText);
  const pod = podText === undefined ? undefined : checkCidr(sink, 'cluster.podCIDR', 'podCIDR', podText);
  if (svc) checkServiceSize(sink, svc);
  if (svc && pod) {
    if (svc.version !== pod.version) {
      sink.error('cluster.podCIDR', `podCIDR ${pod.text} and serviceCIDR ${svc.text} are different IP families; use IPv4 for both or IPv6 for both`);
    } else if (cidrsOverlap(svc, pod)) {
      sink.error('cluster.podCIDR', `podCIDR ${pod.text} overlaps serviceCIDR ${svc.text}; Services and Pods need disjoint ranges`);
    }
  }
  if (svc && cl.clusterDNS !== undefined) checkClusterDns(sink, svc, cl.clusterDNS);
  if (pod && (svc === undefined || svc.version === pod.version)) checkPodCapacity(sink, pod, kubeletHosts(raw));
  const family = svc ?? pod;
  validateAddresses(raw, sink, family && { version: family.version, from: `${family === svc ? 'serviceCIDR' : 'podCIDR'} ${family.text}` });
  const ranges = [
    { c: svc, name: 'serviceCIDR' },
    { c: pod, name: 'podCIDR' },
  ];
  const inRange = (ip: string): { c: Cidr; name: string } | undefined => {
    const p = parseIp(ip);
    const hit = p === undefined ? undefined : ranges.find((r) => r.c !== undefined && cidrContains(r.c, p));
    return hit?.c === undefined ? undefined : { c: hit.c, name: hit.name };
  };
  (raw.hosts ?? []).forEach((h, i) => {
    if (h === undefined) return;
    // An internalIP that failed its own check is not used (it was reported already).
    const explicit = sink.has(`hosts[${i}].internalIP`);
    const ip = explicit ? h.internalIP : h.address;
    const hit = ip === undefined ? undefined : inRange(ip);
    if (hit) {
      const key = explicit ? 'internalIP' : 'address';
      sink.error(
        `hosts[${i}].${key}`,
        `${key} ${ip} of host "${h.name ?? i}" is inside ${hit.name} ${hit.c.text}; host addresses must lie outside the cluster's Service and Pod ranges`,
      );
    }
  });
  const vip = cl.apiServer?.vip;
  const vipHit = vip === undefined ? undefined : inRange(vip);
  if (vipHit) {
    sink.error('cluster.apiServer.vip', `vip ${vip ?? ''} is inside ${vipHit.name} ${vipHit.c.text}; use an unused address of the hosts' network`);
  }
}

/**
 * kube-controller-manager (--allocate-node-cidrs, which flannel relies on) gives each node a
 * /24 (IPv4) or /64 (IPv6) of podCIDR, its default --node-cidr-mask-size. It refuses a podCIDR
 * smaller than that, or an IPv6 one more than 16 bits larger; a node beyond the number of ranges
 * never gets a podCIDR and stays NotReady.
 */
const NODE_MASK = { 4: 24, 6: 64 } as const;

function checkPodCapacity(sink: IssueSink, pod: Cidr, nodes: number): void {
  const mask = NODE_MASK[pod.version];
  const need = mask - Math.ceil(Math.log2(Math.max(nodes, 1)));
  const suggest = `/${Math.min(need, pod.version === 4 ? 16 : 56)}`;
  const path = 'cluster.podCIDR';
  if (pod.prefix > mask) {
    sink.error(path, `podCIDR ${pod.text} is smaller than the /${mask} range kube-controller-manager gives each node (--node-cidr-mask-size); use a ${suggest} or larger`);
  } else if (pod.version === 6 && mask - pod.prefix > 16) {
    sink.error(path, `podCIDR ${pod.text} is too large: kube-controller-manager splits it into /${mask} node ranges and allows at most 16 bits between the two; use a /48 to /${mask}`);
  } else if (nodes > 2 ** (mask - pod.prefix)) {
    const ranges = 2 ** (mask - pod.prefix);
    sink.error(path, `podCIDR ${pod.text} holds ${ranges} node range${ranges === 1 ? '' : 's'} of /${mask}, but ${nodes} hosts run kubelet (control-plane and worker); use a /${need} or larger`);
  }
}

/** Hosts that run kubelet and so need a node Pod range. */
function kubeletHosts(raw: RawInventory): number {
  return (raw.hosts ?? []).filter((h) => h?.roles?.some((r) => r === 'control-plane' || r === 'worker')).length;
}

/** clusterDNS must be a Service IP, and not the one the `kubernetes` Service takes (the 1st). */
function checkClusterDns(sink: IssueSink, svc: Cidr, dns: string): void {
  const p = parseIp(dns);
  if (p === undefined) return;
  const suggestion = nthIp(svc.text, 2) ?? '';
  const path = 'cluster.clusterDNS';
  if (!cidrContains(svc, p)) {
    sink.error(path, `clusterDNS ${dns} is outside serviceCIDR ${svc.text}; use an address inside it, e.g. ${suggestion}`);
  } else if (p.value === svc.base) {
    sink.error(path, `clusterDNS ${dns} is the network address of serviceCIDR ${svc.text}; use ${suggestion}`);
  } else if (p.value === svc.base + 1n) {
    sink.error(path, `clusterDNS ${dns} is the first address of serviceCIDR, which the kubernetes Service owns; use ${suggestion}`);
  }
}
