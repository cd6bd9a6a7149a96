import { describe, expect, it } from 'vitest';
import { parseFacts } from '../../../src/deploy/phases/_facts.js';
import { preflightProblems } from '../../../src/deploy/phases/preflight.js';
import { etcHostsWith, prepareHosts } from '../../../src/deploy/phases/prepare-hosts.js';
import { artifactsOf, execOfUnit, phaseOfArtifact, type ShippingPhase } from '../../../src/deploy/phases/_artifacts.js';
import { etcd } from '../../../src/deploy/phases/etcd.js';
import { nodes } from '../../../src/deploy/phases/nodes.js';
import type { HostFacts, PhaseInput, Step } from '../../../src/deploy/phase.js';
import { describeStep } from '../../../src/deploy/steps.js';
import { realPlan } from './_real-plan.js';

const FACTS_OUT = `@os
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
ID=debian
VERSION_ID="12"
@arch
x86_64
@systemd
systemd 252 (252.39-1~deb12u1)
@container
systemd-nspawn
@time
1700000000500
@swap
@listen
LISTEN 0      4096       127.0.0.1:2379      0.0.0.0:*    users:(("etcd",pid=81,fd=7))
LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=60,fd=3))
LISTEN 0      511                *:10250             *:*    users:(("nginx",pid=99,fd=6))
@modules
overlay
br_netfilter
@df
/dev/sda1 41152736 12000000 27000000  31% /
@firewalld
inactive
@selinux
@hostname
node01
@hosts
127.0.0.1 localhost
@ifaces
1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
2: host0@if12    inet 192.168.80.11/24 brd 192.168.80.255 scope global host0\       valid_lft forever preferred_lft forever
2: host0@if12    inet6 fe80::1/64 scope link \       valid_lft forever preferred_lft forever
@osfiles
/usr/sbin/nginx
/usr/lib/nginx/modules/ngx_stream_module.so
`;

describe('gather-facts parser', () => {
  it('reads every section of the probe output', () => {
    const f = parseFacts(FACTS_OUT, 1_700_000_000_000);
    expect(f).toMatchObject({ os: { id: 'debian', versionId: '12' }, arch: 'x86_64', systemd: '252', container: 'systemd-nspawn', clockSkewMs: 500, swapActive: false });
    expect([...(f.listeners ?? [])]).toEqual([[2379, 'etcd'], [22, 'sshd'], [10250, 'nginx']]);
    expect([...(f.modules ?? [])]).toEqual(['overlay', 'br_netfilter']);
    expect(f.diskFreeBytes).toBe(27_000_000 * 1024);
    expect(f).toMatchObject({ firewalldActive: false, hostname: 'node01', etcHosts: '127.0.0.1 localhost\n' });
    expect(f.selinux).toBeUndefined();
    expect([...(f.interfaces ?? [])]).toEqual([['lo', ['127.0.0.1']], ['host0', ['192.168.80.11', 'fe80::1']]]);
    expect([...(f.osFiles ?? [])]).toEqual(['/usr/sbin/nginx', '/usr/lib/nginx/modules/ngx_stream_module.so']);
    expect(parseFacts('@ifaces\n@osfiles\n', 0).interfaces).toBeUndefined();
  });
});

describe('preflight', () => {
  it('accepts our own etcd on 2379, refuses a foreign process on the kubelet port, lists every problem', async () => {
    const plan = await realPlan();
    const host = plan.hosts.find((h) => h.host.name === 'node01');
    if (!host) throw new Error('no node01');
    const facts: HostFacts = { ...parseFacts(FACTS_OUT, 1_700_000_000_000), arch: 'aarch64', clockSkewMs: 45_000, diskFreeBytes: 100 };
    const problems = preflightProblems({ plan, host, facts, activeHosts: [] });
    expect(problems.map((p) => `${p.severity}: ${p.message}`)).toEqual([
      'error: architecture is aarch64',
      'error: clock is off by 45 s',
      'error: port 10250 is in use by nginx',
      // proxyMode nftables (the default from v1.35): in a container a missing module is the machine's business
      'warning: kernel modules nf_tables are not loaded; inside a systemd-nspawn container they must be loaded on the machine',
      'error: only 0.0 GiB free on /opt',
    ]);
    const { container: _c, ...bareFacts } = facts;
    const bare = preflightProblems({ plan, host, facts: bareFacts, activeHosts: [] });
    expect(bare.find((p) => p.message.startsWith('kernel modules'))?.severity).toBe('error');
  });
});

describe('prepare-hosts', () => {
  it('keeps foreign /etc/hosts lines and replaces only its own block (idempotent)', () => {
    const once = etcHostsWith('127.0.0.1 localhost\n', [['10.0.0.1', 'a'], ['10.0.0.2', 'b']]);
    expect(once).toBe('127.0.0.1 localhost\n# BEGIN kubesmith hosts\n10.0.0.1 a\n10.0.0.2 b\n# END kubesmith hosts\n');
    expect(etcHostsWith(once, [['10.0.0.1', 'a'], ['10.0.0.2', 'b']])).toBe(once);
    expect(etcHostsWith(once, [['10.0.0.3', 'c']])).toBe('127.0.0.1 localhost\n# BEGIN kubesmith hosts\n10.0.0.3 c\n# END kubesmith hosts\n');
  });

  it('tolerates modprobe/sysctl/hostname failures only inside containers', async () => {
    const plan = await realPlan();
    const host = plan.hosts[0];
    if (!host) throw new Error('no host');
    const tolerant = (facts: HostFacts): string[] =>
      prepareHosts.plan({ plan, host, facts, activeHosts: [] }).flatMap((s: Step) => (s.kind === 'exec' && s.tolerate ? [describeStep(s)] : []));
    expect(tolerant({ container: 'lxc' })).toContain('run modprobe -a overlay br_netfilter nf_tables');
    expect(tolerant({ container: 'lxc' })).toContain('run sysctl -p /etc/sysctl.d/99-kubernetes.conf');
    expect(tolerant({})).toEqual([]);
  });

  it('inside a container, modprobes only the modules the host can load (the machine must load the rest: preflight warns)', async () => {
    const plan = await realPlan();
    const host = plan.hosts[0];
    if (!host) throw new Error('no host');
    const modprobe = (facts: HostFacts): string[] =>
      prepareHosts.plan({ plan, host, facts, activeHosts: [] }).flatMap((s: Step) => (s.kind === 'exec' && s.argv[0] === 'modprobe' ? [s.argv.slice(2).join(' ')] : []));
    expect(modprobe({ container: 'systemd-nspawn', modules: new Set(['overlay', 'br_netfilter']) })).toEqual(['overlay br_netfilter']);
    expect(modprobe({ container: 'systemd-nspawn', modules: new Set() })).toEqual([]);
    expect(modprobe({ container: 'systemd-nspawn' })).toEqual(['overlay br_netfilter nf_tables']); // not probed: try them all
    // Not a container: a module the host lacks stopped the run in preflight; modprobe asks for all.
    expect(modprobe({ modules: new Set(['overlay']) })).toEqual(['overlay br_netfilter nf_tables']);
  });
});

describe('artifact ownership', () => {
  it('ships every artifact of a real plan in exactly one phase', async () => {
    const plan = await realPlan();
    const phases: ShippingPhase[] = ['binaries', 'certificates', 'etcd', 'control-plane', 'nodes'];
    for (const h of plan.hosts) {
      const shipped = phases.flatMap((p) => artifactsOf(h, p).map((a) => a.path)).sort();
      expect(shipped).toEqual(h.artifacts.map((a) => a.path).sort());
    }
    const master = plan.hosts[0]?.artifacts ?? [];
    expect(phaseOfArtifact(master.find((a) => a.path.endsWith('/etcd.conf.yml')) ?? master[0]!)).toBe('etcd');
    expect(execOfUnit('[Service]\nExecStartPre=-/sbin/modprobe overlay\nExecStart=/usr/local/bin/containerd \\\n  --config x\n')).toBe('/usr/local/bin/containerd');
  });
});

describe('service phases', () => {
  const input = async (name: string, runnable: Record<string, string | undefined>): Promise<PhaseInput> => {
    const plan = await realPlan();
    const host = plan.hosts.find((h) => h.host.name === name);
    if (!host) throw new Error(name);
    return { plan, host, facts: { runnable: new Map(Object.entries(runnable)) }, activeHosts: [] };
  };

  it('etcd: starts every member without blocking, restarts only on change', async () => {
    const steps = etcd.plan(await input('node01', { '/opt/etcd/bin/etcd': 'etcd Version: 3.4.23' }));
    const service = steps.filter((s) => s.kind !== 'put');
    expect(service).toEqual([
      { kind: 'systemd', unit: '', action: 'daemon-reload', when: 'changed' },
      { kind: 'systemd', unit: 'etcd.service', action: 'enable' },
      { kind: 'systemd', unit: 'etcd.service', action: 'restart', when: 'changed', noBlock: true },
      { kind: 'systemd', unit: 'etcd.service', action: 'start', noBlock: true },
    ]);
    expect(steps.filter((s) => s.kind === 'put').map((s) => describeStep(s))).toEqual(['put /etc/systemd/system/etcd.service', 'put /opt/etcd/cfg/etcd.conf.yml']);
  });

  it('nodes: a unit whose binary does not run is installed and enabled but not started', async () => {
    const steps = nodes.plan(await input('node01', { '/usr/local/bin/containerd': 'containerd 1.6.20', '/usr/sbin/nginx': 'nginx/1.22' }));
    const lines = steps.filter((s) => s.kind !== 'put').map(describeStep);
    expect(lines).toContain('start containerd.service');
    expect(lines).toContain('enable kubelet.service');
    expect(lines).not.toContain('start kubelet.service');
    expect(lines.find((l) => l.startsWith('not starting kubelet.service'))).toMatch(/--version fails/);
  });
});
