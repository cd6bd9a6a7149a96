/**
 * Preflight for what the OS, not the bundle, provides for API load balancing: nginx with its stream
 * module, keepalived, and the interface keepalived puts the VIP on (cluster.apiServer.vipInterface).
 */
import { describe, expect, it } from 'vitest';
import { proxyProblems } from '../../../src/deploy/phases/_proxy-checks.js';
import type { HostFacts } from '../../../src/deploy/phase.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { aPlan } from '../_plan.js';

const NGINX = ['/usr/sbin/nginx', '/usr/lib/nginx/modules/ngx_stream_module.so'];
const LB_UNITS = ['kubesmith-apiserver-lb.service', 'kubesmith-keepalived.service'];

function vipPlan(vipInterface: string): ClusterPlan {
  const plan = aPlan({}, LB_UNITS);
  const apiServer = { ...plan.inventory.cluster.apiServer, ha: 'vip' as const, vip: '192.168.80.88', vipInterface };
  return { ...plan, inventory: { ...plan.inventory, cluster: { ...plan.inventory.cluster, apiServer } } };
}

function problems(plan: ClusterPlan, facts: HostFacts): string[] {
  const host = plan.hosts[0]!;
  return proxyProblems({ plan, host, facts, activeHosts: [] }).map((p) => `${p.severity}: ${p.message}${p.hint ? ` | ${p.hint}` : ''}`);
}

const ip = (plan: ClusterPlan): string => plan.hosts[0]!.host.internalIP;

describe('proxy preflight', () => {
  it('a load balancer with nginx, its stream module, keepalived and the VIP interface carrying its IP passes', () => {
    const plan = vipPlan('ens3');
    const facts: HostFacts = { osFiles: new Set([...NGINX, '/usr/sbin/keepalived']), interfaces: new Map([['lo', ['127.0.0.1']], ['ens3', [ip(plan)]]]) };
    expect(problems(plan, facts)).toEqual([]);
  });

  it('names every missing OS file and the packages that provide them', () => {
    const plan = vipPlan('ens3');
    const out = problems(plan, { osFiles: new Set(['/usr/sbin/nginx']), interfaces: new Map([['ens3', [ip(plan)]]]) });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^error: \/usr\/lib\/nginx\/modules\/ngx_stream_module\.so, \/usr\/sbin\/keepalived not found/);
    expect(out[0]).toContain('nginx-light + libnginx-mod-stream');
  });

  it('a wrong or absent vipInterface is an error that names the interface carrying the internalIP', () => {
    const plan = vipPlan('eth0');
    const facts: HostFacts = { osFiles: new Set([...NGINX, '/usr/sbin/keepalived']), interfaces: new Map([['enp0s3', [ip(plan)]], ['eth0', ['10.9.9.9']]]) };
    expect(problems(plan, facts)).toEqual([
      `error: keepalived would hold the VIP on eth0, but eth0 does not carry ${ip(plan)} (this host's internalIP) | ${ip(plan)} is on enp0s3: set cluster.apiServer.vipInterface: enp0s3`,
    ]);
    const gone = problems(plan, { ...facts, interfaces: new Map([['lo', ['127.0.0.1']]]) });
    expect(gone[0]).toMatch(/there is no interface eth0 .* \| no interface carries/);
  });

  it('without interface facts (no `ip`) it warns instead of guessing', () => {
    const plan = vipPlan('eth0');
    expect(problems(plan, { osFiles: new Set([...NGINX, '/usr/sbin/keepalived']) })).toEqual([
      'warning: could not list network interfaces (`ip -o addr` gave nothing), so vipInterface eth0 was not checked',
    ]);
  });

  it('a node of a local-proxy cluster needs nginx only; hosts without proxy units need nothing', () => {
    const node = aPlan({}, ['kubesmith-apiserver-proxy.service', 'kubelet.service']);
    expect(problems(node, { osFiles: new Set() })).toEqual([expect.stringMatching(/^error: \/usr\/sbin\/nginx, \/usr\/lib\/nginx\/modules\/ngx_stream_module\.so not found/)]);
    expect(problems(node, { osFiles: new Set(NGINX) })).toEqual([]);
    expect(problems(aPlan({}, ['etcd.service']), { osFiles: new Set() })).toEqual([]);
  });
});
