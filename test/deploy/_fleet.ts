/**
 * The in-memory fleet for tests that run the whole APPLY_PHASES program (apply-fake, rolling
 * restarts): the real plan with each binary backed by a small local file, and one FakeHost per
 * host answering what the phases ask (facts, --version, etcd health and status).
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ClusterPlan } from '../../src/plan/types.js';
import { FakeHost } from '../support/fake-host.js';
import { realPlan } from './phases/_real-plan.js';


/** The real plan with each binary backed by a small local file. */
export async function planWithFiles(tmp: string): Promise<ClusterPlan> {
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

/** A successful command result. */
export const ok = (stdout = '') => ({ exitCode: 0, stdout, stderr: '' });
/** gather-facts' answer for a Debian 12 host named `name`. */
export const FACTS = (name: string, time = 1_700_000_000_000) =>
  `@os\nID=debian\nVERSION_ID="12"\n@arch\nx86_64\n@systemd\nsystemd 252\n@container\n@time\n${time}\n@swap\n@listen\n@modules\noverlay\nbr_netfilter\nip_vs\nip_vs_rr\nip_vs_wrr\nip_vs_sh\nnf_conntrack\nnf_tables\n@df\n/dev/sda 1 1 99999999 1% /\n@firewalld\ninactive\n@selinux\n@hostname\n${name}\n@hosts\n127.0.0.1 localhost\n@ifaces\n@osfiles\n/usr/sbin/nginx\n/usr/lib/nginx/modules/ngx_stream_module.so\n`;

/**
 * One FakeHost per planned host, answering gather-facts, --version probes and the etcd checks of a
 * healthy cluster. `now` is the hosts' clock (default: the ticking test clock's start).
 */
export function fakeFleet(plan: ClusterPlan, now: () => number = () => 1_700_000_000_000): Map<string, FakeHost> {
  const etcdIps = plan.hosts.filter((h) => h.host.roles.includes('etcd')).map((h) => `https://${h.host.internalIP}:2379`);
  return new Map(
    plan.hosts.map((h) => {
      const f = new FakeHost(h.host.name);
      f.seed('/etc/hosts', '127.0.0.1 localhost\n');
      // unless-probes: already satisfied (the batched probes and the pending-restart markers are FakeHost's own)
      f.on((a) => a[0] === 'sh' && a[2]?.startsWith('run() {') !== true && a[2]?.startsWith('mkdir -p -m 700') !== true, ok())
        .on((a) => a[0] === 'sh' && a[2]?.startsWith('echo @os') === true, () => ok(FACTS(h.host.name, now())))
        .on(
          (a) => a.includes('--version'),
          (a) => {
            const bin = a[a.indexOf('--version') - 1] ?? '';
            return bin.includes('etcd') || bin.includes('containerd') ? ok(`${bin} version 1`) : { exitCode: 1, stdout: 'kubesmith test stub', stderr: '' };
          },
        )
        .on('systemd-analyze verify', ok())
        .on((a) => a[0] === 'timeout', ok()) // rolling restart readiness gates: every unit answers
        .on('test -d /sys/module', ok())
        .on((a) => a.includes('endpoint') && a.includes('health'), () => ok(JSON.stringify(etcdIps.map((endpoint) => ({ endpoint, health: true, took: '2ms' })))))
        .on((a) => a.includes('endpoint') && a.includes('status'), () => ok(JSON.stringify(etcdIps.map((Endpoint, i) => ({ Endpoint, Status: { header: { member_id: i + 1 }, leader: 1, version: '3.4.23', dbSize: 20480, raftTerm: 2, raftIndex: 9 } })))))
        .on((a) => a.includes('version') && a[0]?.endsWith('/ctr') === true, ok('Server: 1.6'))
        // etcd 3.6+ health (the example's etcd): /livez and /readyz of every member answer 200, as curl prints them.
        .on((a) => a[0] === 'sh' && a[3] === 'etcd-health', () => ok(etcdIps.flatMap((ep) => ['livez', 'readyz'].flatMap((p) => [`--- kubesmith etcd ${p} ${ep}`, 'ok', '200 0.002'])).join('\n')))
        // The etcd report's one curl: /livez and /readyz of every member, then each member's status from etcd's gateway.
        .on((a) => a[0] === 'sh' && a[3] === 'etcd-report', () => ok([
          ...etcdIps.flatMap(() => ['ok', '--- kubesmith etcd end 200 0.002', 'ok', '--- kubesmith etcd end 200 0.002']),
          ...etcdIps.map((_, i) => `${JSON.stringify({ header: { member_id: String(i + 1) }, leader: '1', version: '3.4.23', dbSize: '20480', raftTerm: '2', raftIndex: '9' })}\n--- kubesmith etcd end 200 0.002`),
        ].join('\n')));
      return [h.host.name, f] as const;
    }),
  );
}
