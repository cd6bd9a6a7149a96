/**
 * The whole APPLY_PHASES program on in-memory hosts: first apply ships everything and starts
 * services, the second changes and restarts nothing, a dry-run afterwards writes nothing.
 * (Real hosts: test/hosts/apply*.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPhases, type Transport } from '../../src/deploy/runner.js';
import { APPLY_PHASES } from '../../src/deploy/phases/index.js';
import type { DeployEvent, HostSummary } from '../../src/deploy/events.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import { FakeHost } from '../support/fake-host.js';
import { realPlan } from './phases/_real-plan.js';
import { tickingClock } from './_plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'ks-apply-fake-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The real plan with each binary backed by a small local file. */
async function planWithFiles(): Promise<ClusterPlan> {
  const plan = await realPlan();
  return {
    ...plan,
    hosts: plan.hosts.map((h) => ({
      ...h,
      artifacts: h.artifacts.map((a) => {
        if (typeof a.content === 'string') return a;
        const file = join(tmp, a.content.member.replace(/\W/g, '_'));
        const body = `binary ${a.content.member}\n`;
        writeFileSync(file, body);
        return { ...a, content: { ...a.content, localFile: file, size: body.length }, sha256: createHash('sha256').update(body).digest('hex') };
      }),
    })),
  };
}

const ok = (stdout = '') => ({ exitCode: 0, stdout, stderr: '' });
const FACTS = (name: string) =>
  `@os\nID=debian\nVERSION_ID="12"\n@arch\nx86_64\n@systemd\nsystemd 252\n@container\n@time\n${1_700_000_000_000}\n@swap\n@listen\n@modules\noverlay\nbr_netfilter\nip_vs\nip_vs_rr\nip_vs_wrr\nip_vs_sh\nnf_conntrack\nnf_tables\n@df\n/dev/sda 1 1 99999999 1% /\n@firewalld\ninactive\n@selinux\n@hostname\n${name}\n@hosts\n127.0.0.1 localhost\n@ifaces\n@osfiles\n/usr/sbin/nginx\n/usr/lib/nginx/modules/ngx_stream_module.so\n`;

function fakeFleet(plan: ClusterPlan): Map<string, FakeHost> {
  const etcdIps = plan.hosts.filter((h) => h.host.roles.includes('etcd')).map((h) => `https://${h.host.internalIP}:2379`);
  return new Map(
    plan.hosts.map((h) => {
      const f = new FakeHost(h.host.name);
      f.seed('/etc/hosts', '127.0.0.1 localhost\n');
      f.on((a) => a[0] === 'sh' && a[2]?.startsWith('run() {') !== true, ok()) // unless-probes: already satisfied
        .on((a) => a[0] === 'sh' && a[2]?.startsWith('echo @os') === true, () => ok(FACTS(h.host.name)))
        .on(
          (a) => a.includes('--version'),
          (a) => {
            const bin = a[a.indexOf('--version') - 1] ?? '';
            return bin.includes('etcd') || bin.includes('containerd') ? ok(`${bin} version 1`) : { exitCode: 1, stdout: 'kubesmith test stub', stderr: '' };
          },
        )
        .on('systemd-analyze verify', ok())
        .on('test -d /sys/module', ok())
        .on((a) => a.includes('endpoint') && a.includes('health'), () => ok(JSON.stringify(etcdIps.map((endpoint) => ({ endpoint, health: true, took: '2ms' })))))
        .on((a) => a.includes('endpoint') && a.includes('status'), () => ok(JSON.stringify(etcdIps.map((Endpoint, i) => ({ Endpoint, Status: { header: { member_id: i + 1 }, leader: 1, version: '3.4.23', dbSize: 20480, raftTerm: 2, raftIndex: 9 } })))))
        .on((a) => a.includes('version') && a[0]?.endsWith('/ctr') === true, ok('Server: 1.6'))
        // etcd 3.6+ health (the example's etcd): /livez and /readyz of every member answer 200, as curl prints them.
        .on((a) => a[0] === 'sh' && a[3] === 'etcd-health', () => ok(etcdIps.flatMap((ep) => ['livez', 'readyz'].flatMap((p) => [`--- kubesmith etcd ${p} ${ep}`, 'ok', '200 0.002'])).join('\n')));
      return [h.host.name, f] as const;
    }),
  );
}

async function apply(plan: ClusterPlan, fleet: Map<string, FakeHost>, dryRun = false): Promise<{ hosts: readonly HostSummary[]; events: DeployEvent[] }> {
  const events: DeployEvent[] = [];
  const transport: Transport = { connect: async (h) => fleet.get(h.name) as FakeHost, lock: async () => ({ release: async () => undefined }) };
  const res = await runPhases({ plan, phases: APPLY_PHASES, dryRun, transport, emit: (e) => events.push(e), signal: new AbortController().signal, clock: tickingClock() });
  return { hosts: res.hosts, events };
}

describe('apply on in-memory hosts', () => {
  it('converges, then a second apply changes and restarts nothing, and a dry-run writes nothing', async () => {
    const plan = await planWithFiles();
    const fleet = fakeFleet(plan);
    const first = await apply(plan, fleet);
    const master = fleet.get('master01');
    expect(first.hosts.find((h) => h.host === 'master01')?.changed).toBeGreaterThan(40);
    expect(master?.units.get('etcd.service')).toEqual({ enabled: true, active: true });
    expect(master?.units.get('containerd.service')).toEqual({ enabled: true, active: true });
    expect(master?.units.get('kube-apiserver.service')).toEqual({ enabled: true, active: false }); // stub: not started
    expect(master?.text('/etc/hosts')).toContain('192.168.80.12 node02');
    const report = first.events.find((e) => e.type === 'report');
    expect(report).toMatchObject({ phase: 'etcd', columns: expect.arrayContaining(['HEALTH', 'IS LEADER']) });
    expect(master?.log).toContain('exec systemctl restart --no-block etcd.service');

    for (const f of fleet.values()) f.log.length = 0;
    const second = await apply(plan, fleet);
    expect(second.hosts.map((h) => [h.host, h.changed, h.restarted.length])).toEqual(plan.hosts.map((h) => [h.host.name, 0, 0]));
    for (const f of fleet.values()) expect(f.mutations()).toEqual([]);

    const dry = await apply(plan, fleet, true);
    for (const f of fleet.values()) expect(f.mutations()).toEqual([]);
    expect(dry.events.filter((e) => e.type === 'step' && e.status === 'changed')).toEqual([]);
  });
});
