/**
 * Preflight for the API load balancing that comes from the host's OS packages, not the offline
 * bundle: nginx with its stream module (the local proxy on every node, the VIP load balancer) and
 * keepalived, and the interface keepalived puts the VIP on. The renderer cannot know either; a
 * missing nginx would otherwise show up much later as kubelets that cannot reach any apiserver.
 */
import { LB_EXECUTABLES } from '../../render/views/apiserver-lb.js';
import { formatIp, parseIp } from '../../shared/net.js';
import type { PhaseInput, Problem } from '../phase.js';

const NGINX_UNITS = ['kubesmith-apiserver-proxy.service', 'kubesmith-apiserver-lb.service'];
const KEEPALIVED_UNIT = 'kubesmith-keepalived.service';
const PACKAGES =
  'install them from your OS mirror (the offline bundle does not carry them): Debian/Ubuntu nginx-light + libnginx-mod-stream and keepalived, RHEL nginx + nginx-mod-stream and keepalived; or set cluster.apiServer.ha: none';

/** Same address whatever its spelling ("fd00::0:1" == "fd00::1"). */
function sameIp(a: string, b: string): boolean {
  const pa = parseIp(a);
  const pb = parseIp(b);
  return pa !== undefined && pb !== undefined && formatIp(pa) === formatIp(pb);
}

/** Problems with the OS-provided proxy files and the VIP interface on this host. */
export function proxyProblems(input: PhaseInput): readonly Problem[] {
  const { facts, host } = input;
  const units = new Set(host.units);
  const out: Problem[] = [];
  const needed = [
    ...(NGINX_UNITS.some((u) => units.has(u)) ? [LB_EXECUTABLES.nginx, LB_EXECUTABLES.nginxStreamModule] : []),
    ...(units.has(KEEPALIVED_UNIT) ? [LB_EXECUTABLES.keepalived] : []),
  ];
  const missing = facts.osFiles ? needed.filter((f) => !facts.osFiles?.has(f)) : [];
  if (missing.length > 0) out.push({ severity: 'error', message: `${missing.join(', ')} not found (API load balancing needs them)`, hint: PACKAGES });
  if (!units.has(KEEPALIVED_UNIT)) return out;
  const iface = input.plan.inventory.cluster.apiServer.vipInterface;
  const ip = host.host.internalIP;
  if (facts.interfaces === undefined) {
    out.push({ severity: 'warning', message: `could not list network interfaces (\`ip -o addr\` gave nothing), so vipInterface ${iface} was not checked` });
    return out;
  }
  if (facts.interfaces.get(iface)?.some((a) => sameIp(a, ip))) return out;
  const carrier = [...facts.interfaces].find(([, addrs]) => addrs.some((a) => sameIp(a, ip)))?.[0];
  const where = facts.interfaces.has(iface) ? `${iface} does not carry ${ip}` : `there is no interface ${iface}`;
  out.push({
    severity: 'error',
    message: `keepalived would hold the VIP on ${iface}, but ${where} (this host's internalIP)`,
    hint: carrier
      ? `${ip} is on ${carrier}: set cluster.apiServer.vipInterface: ${carrier}`
      : `no interface carries ${ip}: check hosts[].internalIP, then set cluster.apiServer.vipInterface to the interface that carries it`,
  });
  return out;
}
