/**
 * Host-list rules: unique names and addresses, an internalIP where the address is a DNS name, and
 * a cluster that can exist (a control plane, an etcd quorum, load balancers only with a VIP).
 */
import { canonicalIp, isIp } from '../shared/net.js';
import type { ApiHaMode, Role } from './types.js';
import type { IssueSink } from './validate-context.js';
import type { RawHost, RawInventory } from './validate-shape.js';

/** Hosts that read cleanly, with their index in the file (for paths). */
export function indexedHosts(raw: RawInventory): { readonly h: RawHost; readonly i: number }[] {
  return (raw.hosts ?? []).flatMap((h, i) => (h === undefined ? [] : [{ h, i }]));
}

/** The host's effective internal IP path and value (internalIP, else address), when known. */
function internalIpOf(sink: IssueSink, h: RawHost, i: number): { path: string; ip: string } | undefined {
  if (sink.has(`hosts[${i}].internalIP`)) return h.internalIP === undefined ? undefined : { path: `hosts[${i}].internalIP`, ip: h.internalIP };
  return h.address !== undefined && isIp(h.address) ? { path: `hosts[${i}].address`, ip: h.address } : undefined;
}

/**
 * What makes two values the same: IPs by value ("fd00::10" is "fd00:0:0::10"), DNS names without
 * case or the root dot ("Node1.example.com." is "node1.example.com"); an optional ":port" is kept.
 */
function sameKey(value: string): string {
  const m = /^\[(.+)\](:\d+)$/.exec(value) ?? /^([^:]+)(:\d+)$/.exec(value);
  const name = canonicalIp(m?.[1] ?? value) ?? (m?.[1] ?? value).toLowerCase().replace(/\.$/, '');
  // "[fd00::10]:2222" (port 2222) must not meet the address fd00::10:2222.
  return m === null ? name : `${name.includes(':') ? `[${name}]` : name}${m[2] ?? ''}`;
}

/** Reports the 2nd and later occurrence of each value, pointing back at the first. */
function checkUnique(
  sink: IssueSink,
  what: string,
  entries: readonly { path: string; value: string; host: string }[],
  already: ReadonlySet<string> = new Set(),
): Set<string> {
  const reported = new Set<string>();
  const first = new Map<string, { path: string; host: string; value: string }>();
  for (const e of entries) {
    const k = sameKey(e.value);
    const prev = first.get(k);
    if (prev === undefined) {
      first.set(k, e);
      continue;
    }
    const line = sink.line(prev.path);
    reported.add(e.path);
    if (already.has(e.path)) continue;
    const where = what === 'host name' ? `first used on line ${line}` : `host "${prev.host}" on line ${line} uses it`;
    const spelled = prev.value === e.value ? '' : `, written "${prev.value}"`;
    sink.error(e.path, `duplicate ${what} "${e.value}" (${where}${spelled}); each host needs its own`);
  }
  return reported;
}

/** Checks the hosts list as a whole; `ha` is the effective API HA mode (explicit or defaulted). */
export function validateHosts(raw: RawInventory, sink: IssueSink, ha: ApiHaMode | undefined): void {
  const hosts = indexedHosts(raw);
  const label = (h: RawHost, i: number): string => h.name ?? `hosts[${i}]`;
  checkUnique(sink, 'host name', hosts.flatMap(({ h, i }) => (h.name ? [{ path: `hosts[${i}].name`, value: h.name, host: h.name }] : [])));
  // Same address is fine behind NAT with distinct ssh ports; same address and port is the same machine.
  const sameAddress = checkUnique(
    sink,
    'address',
    hosts.flatMap(({ h, i }) => {
      if (h.address === undefined) return [];
      const port = h.ssh?.port ?? raw.ssh?.port ?? 22;
      return [{ path: `hosts[${i}].address`, value: h.address, host: label(h, i), port }];
    }).map((e) => ({ ...e, value: e.port === 22 ? e.value : `${e.value.includes(':') ? `[${e.value}]` : e.value}:${e.port}` })),
  );
  const ips = hosts.flatMap(({ h, i }) => {
    const ip = internalIpOf(sink, h, i);
    return ip === undefined ? [] : [{ path: ip.path, value: ip.ip, host: label(h, i) }];
  });
  // An internal IP taken from a duplicate address was reported with the address already.
  checkUnique(sink, 'internal IP', ips, sameAddress);

  for (const { h, i } of hosts) {
    if (!sink.has(`hosts[${i}].internalIP`) && h.address !== undefined && !isIp(h.address)) {
      sink.error(
        `hosts[${i}].address`,
        `host "${label(h, i)}": internalIP is required when address "${h.address}" is a DNS name; add internalIP: <the IP components advertise>`,
      );
    }
    checkRoles(sink, h, i, ha);
  }

  if (raw.hosts === undefined || hosts.length === 0) return;
  const count = (role: Role): number => hosts.filter(({ h }) => h.roles?.includes(role)).length;
  // Only judge the role counts when every host's roles were readable; otherwise they would be wrong.
  if (hosts.length !== raw.hosts.length || hosts.some(({ h }) => h.roles === undefined || h.roles.includes(undefined))) return;
  if (count('control-plane') === 0) sink.error('hosts', 'no host has the control-plane role; give at least one host roles: [control-plane]', 'key');
  const etcd = count('etcd');
  if (etcd === 0) sink.error('hosts', 'no host has the etcd role; give 1, 3 or 5 hosts the etcd role', 'key');
  if (etcd > 0 && etcd % 2 === 0) {
    // Quorum is floor(n/2)+1, so n=2k members survive k-1 failures: no more than 2k-1 members do.
    const survives = etcd / 2 - 1;
    sink.warning(
      'hosts',
      `${etcd} etcd members survive ${survives} failure${survives === 1 ? '' : 's'} (quorum is ${etcd / 2 + 1} of ${etcd}), ` +
        `no more than ${etcd - 1} would; use an odd number of etcd members`,
      'key',
    );
  }
}

function checkRoles(sink: IssueSink, h: RawHost, i: number, ha: ApiHaMode | undefined): void {
  const seen = new Set<Role>();
  (h.roles ?? []).forEach((r, j) => {
    if (r === undefined) return;
    const path = `hosts[${i}].roles[${j}]`;
    if (seen.has(r)) sink.warning(path, `role "${r}" is listed twice; remove the repeat`);
    seen.add(r);
    if (r === 'loadbalancer' && ha !== undefined && ha !== 'vip') {
      sink.error(path, `the loadbalancer role is used only with cluster.apiServer.ha: vip (ha is ${ha}); remove the role or set ha: vip`);
    }
  });
}
