/**
 * Node prerequisites of current Kubernetes: gather-facts reads the cgroup filesystem type, the
 * kernel and nft in its one round trip (parsed from recorded output and from this machine's own),
 * and preflight fails a cgroup v1 node from v1.35 unless failCgroupV1 is false, and an nftables
 * node without kernel 5.13+ or nft 1.0.1+.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/deploy/phase.js';
import { FACTS_SCRIPT, parseFacts } from '../../../src/deploy/phases/_facts.js';
import { nodeProblems } from '../../../src/deploy/phases/_node-checks.js';
import { preflightProblems } from '../../../src/deploy/phases/preflight.js';
import type { ProxyMode } from '../../../src/inventory/types.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { aPlan } from '../_plan.js';

/** Recorded sections of the probe on a Debian 12 VM (cgroup v2) and on a CentOS 7 host (cgroup v1, no nft). */
const DEBIAN12 = ['@hostname', 'node01', '@cgroup', 'cgroup2fs', '@kernel', '6.1.0-28-amd64', '@nft', 'nftables v1.0.6 (Lester Gooch #5)', ''].join('\n');
const CENTOS7 = ['@hostname', 'node02', '@cgroup', 'tmpfs', '@kernel', '3.10.0-1160.el7.x86_64', '@nft', ''].join('\n');

function plan(kubernetesVersion: string, proxyMode: ProxyMode, failCgroupV1?: boolean): ClusterPlan {
  const p = aPlan({}, ['kubelet.service']);
  const inventory = { ...p.inventory, cluster: { ...p.inventory.cluster, kubernetesVersion, proxyMode }, kubelet: failCgroupV1 === undefined ? {} : { failCgroupV1 } };
  return { ...p, inventory };
}

/** "severity: message | hint" of the node problems of host `i` (0: master01, 2: node01). */
function problems(p: ClusterPlan, facts: HostFacts, i = 2): string[] {
  return nodeProblems({ plan: p, host: p.hosts[i]!, facts, activeHosts: [] }).map((x) => `${x.severity}: ${x.message}${x.hint ? ` | ${x.hint}` : ''}`);
}

describe('gather-facts: cgroup, kernel, nft', () => {
  it('parses the recorded sections', () => {
    expect(parseFacts(DEBIAN12, 0)).toMatchObject({ cgroupFs: 'cgroup2fs', kernel: '6.1.0-28-amd64', nftVersion: '1.0.6' });
    const old = parseFacts(CENTOS7, 0);
    expect(old).toMatchObject({ cgroupFs: 'tmpfs', kernel: '3.10.0-1160.el7.x86_64' });
    expect(old.nftVersion).toBeUndefined();
  });

  it('reads this machine like `stat -fc %T /sys/fs/cgroup` and `uname -r` do (the real probe script)', () => {
    const facts = parseFacts(execFileSync('sh', ['-c', FACTS_SCRIPT], { encoding: 'utf8' }), Date.now());
    expect(facts.cgroupFs).toBe(execFileSync('stat', ['-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).trim());
    expect(facts.kernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
  });
});

describe('preflight: node prerequisites', () => {
  const v2: HostFacts = parseFacts(DEBIAN12, 0);
  const v1: HostFacts = { ...parseFacts(CENTOS7, 0), kernel: '6.1.0-28-amd64', nftVersion: '1.0.6' };

  it('cgroup v2 with a current kernel and nft passes every version and mode', () => {
    for (const v of ['v1.28.15', 'v1.35.6', 'v1.38.0']) expect(problems(plan(v, v === 'v1.28.15' ? 'ipvs' : 'nftables'), v2)).toEqual([]);
  });

  it('from v1.35 a cgroup v1 node fails with the reason and both ways out', () => {
    const out = problems(plan('v1.35.0', 'iptables'), v1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^error: the host uses cgroup v1 \(\/sys\/fs\/cgroup is tmpfs\): kubelet v1\.35\.0 refuses to start there/);
    expect(out[0]).toContain('systemd.unified_cgroup_hierarchy=1');
    expect(out[0]).toContain('kubelet.failCgroupV1: false');
    // The control-plane host runs a kubelet too; an etcd-only or load-balancer host does not.
    expect(problems(plan('v1.37.2', 'iptables'), v1, 0)[0]).toMatch(/^error: /);
    const lb = plan('v1.37.2', 'iptables');
    const lbHost = { ...lb.hosts[2]!, host: { ...lb.hosts[2]!.host, roles: ['etcd' as const] } };
    expect(nodeProblems({ plan: lb, host: lbHost, facts: v1, activeHosts: [] })).toEqual([]);
  });

  it('failCgroupV1: false turns the error into a warning; before v1.35 cgroup v1 is a warning', () => {
    expect(problems(plan('v1.37.2', 'iptables', false), v1)).toEqual([expect.stringMatching(/^warning: .*deprecated and runs only because kubelet\.failCgroupV1 is false/)]);
    expect(problems(plan('v1.34.2', 'iptables'), v1)).toEqual([expect.stringMatching(/^warning: .*refused by default by kubelets from v1\.35/)]);
  });

  it('nftables needs kernel 5.13+ and nft 1.0.1+; iptables and ipvs do not', () => {
    const old: HostFacts = { ...v2, kernel: '5.10.0-33-amd64', nftVersion: '0.9.8' };
    expect(problems(plan('v1.36.3', 'nftables'), old)).toEqual([
      'error: kernel 5.10.0-33-amd64 is older than 5.13, which kube-proxy\'s nftables mode needs | upgrade the kernel, or set cluster.proxyMode: iptables',
      'error: nft 0.9.8 is older than 1.0.1, which kube-proxy\'s nftables mode needs | install the OS package nftables (Debian/Ubuntu and RHEL: nftables), or set cluster.proxyMode: iptables',
    ]);
    const { nftVersion: _gone, ...noNft } = v2;
    expect(problems(plan('v1.36.3', 'nftables'), noNft)).toEqual([expect.stringMatching(/^error: nft is not installed/)]);
    expect(problems(plan('v1.36.3', 'iptables'), old)).toEqual([]);
    // No probe output (facts unknown): nothing is claimed.
    expect(problems(plan('v1.36.3', 'nftables'), {})).toEqual([]);
  });

  it('preflight lists the nftables kernel module with the others', () => {
    const p = plan('v1.36.3', 'nftables');
    const facts: HostFacts = { ...v2, systemd: '252', modules: new Set(['overlay', 'br_netfilter']) };
    const out = preflightProblems({ plan: p, host: p.hosts[2]!, facts, activeHosts: [] }).map((x) => x.message);
    expect(out).toContain('kernel modules not available: nf_tables');
  });
});
