/**
 * The etcd snapshot benchmark (run through bench/etcd-snapshot/run.mjs). Three real etcd members
 * (3.5.30) on nspawn hosts, filled to BENCH_MB of incompressible values; then BENCH_ROUNDS rounds,
 * each timing, interleaved:
 *   kubesmith: `kubesmith etcd snapshot -i INV --out DIR` as a process (everything it does: member
 *     choice, save, on-host `snapshot status` + sha256, streamed copy checked by sha256, PKI tar);
 *   by hand:   `ssh root@LEADER etcdctl ... snapshot save /root/s.db` + `scp root@LEADER:/root/s.db DIR`
 *     + `ssh root@LEADER rm /root/s.db` (OpenSSH, the same key and known_hosts).
 * The ratio of the medians is the result (target: kubesmith within 1.2x): the machine is shared.
 */
import { execFileSync, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { canBootHosts, sshArgs } from '../../test/support/test-hosts.js';
import { etcdctlFromTest, setupApplyEnv, type ApplyEnv } from '../../test/hosts/apply-env.js';

const MB = Number(process.env.BENCH_MB ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROOT = new URL('../../', import.meta.url).pathname;
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
let env: ApplyEnv | undefined;
afterAll(async () => env?.close());

function timed(cmd: string, args: readonly string[], cwd?: string): Promise<{ seconds: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, stdout: out, stderr: err }) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-3000)}${out.slice(-2000)}`))));
  });
}
/** "before 0.9, connect 0.3, ... , after 0.2 s" from the run log the CLI named on stderr. */
function phaseTimes(stderr: string, total: number): string {
  const log = /^log: (.+)$/m.exec(stderr)?.[1];
  if (!log) return 'no log';
  const recs = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; time: number; phase?: string; durationMs?: number });
  const start = recs.find((r) => r.msg === 'run-start')?.time ?? 0;
  const first = recs[0]?.time ?? start;
  const done = recs.filter((r) => r.msg === 'phase-done').map((r) => `${r.phase} ${((r.durationMs ?? 0) / 1000).toFixed(2)}`);
  const runDone = recs.find((r) => r.msg === 'run-done');
  const inRun = ((runDone?.time ?? start) - start) / 1000;
  return `process ${total.toFixed(2)} s: run ${inRun.toFixed(2)} s (${done.join(', ')}); outside the run ${(total - inRun).toFixed(2)} s (first log record ${((start - first) / 1000).toFixed(2)} s before run-start)`;
}
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

it.skipIf(!canBootHosts().ok)('etcd snapshot: kubesmith vs etcdctl snapshot save + scp by hand', async () => {
  const e = (env = await setupApplyEnv(HOSTS));
  expect((await e.apply()).code).toBe(0);
  const cp1 = e.group.host('cp1');
  const ssl = '/opt/etcd/ssl';
  const ctl = (ip: string): string => `/opt/etcd/bin/etcdctl --endpoints=https://${ip}:2379 --cacert=${ssl}/ca.pem --cert=${ssl}/healthcheck-client.pem --key=${ssl}/healthcheck-client-key.pem`;
  // ~0.9 MB per value (etcd's request limit is 1.5 MiB), random so nothing compresses.
  const fill = await cp1.ssh(`head -c 700000 /dev/urandom | base64 -w0 > /root/v; for i in $(seq 1 ${Math.ceil((MB * 1e6) / 933_000)}); do ${ctl(cp1.ip)} put big/$i < /root/v >/dev/null || exit 1; head -c 700000 /dev/urandom | base64 -w0 > /root/v; done; rm /root/v`, { timeoutMs: 1_200_000 });
  expect(fill.code, fill.stderr).toBe(0);
  const status = JSON.parse(etcdctlFromTest(e, HOSTS.map((h) => h.name), ['endpoint', 'status', '-w', 'json'])) as { Endpoint: string; Status: { dbSize: number; leader: number; header: { member_id: number } } }[];
  const leaderEp = status.find((s) => String(s.Status.leader) === String(s.Status.header.member_id))?.Endpoint ?? status[0]?.Endpoint ?? '';
  const leader = e.group.hosts.find((h) => leaderEp.includes(`//${h.ip}:`)) ?? cp1;
  const out = join(e.dir, 'bench-out');
  const ssh = sshArgs(e.group.keyFile, e.group.knownHostsFile);
  const rows: { ks: number; hand: number; size: number }[] = [];
  const phases: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(join(out, 'hand'), { recursive: true });
    const ks = await timed('node', [join(ROOT, 'dist/cli/main.js'), 'etcd', 'snapshot', '-i', e.inventory, '--out', join(out, 'ks')], e.dir);
    const file = /^snapshot: (\S+)/m.exec(ks.stdout)?.[1] ?? '';
    phases.push(phaseTimes(ks.stderr, ks.seconds));
    const t0 = performance.now();
    await timed('ssh', [...ssh, `root@${leader.ip}`, `${ctl(leader.ip)} snapshot save /root/s.db >/dev/null`]);
    await timed('scp', [...ssh, '-q', `root@${leader.ip}:/root/s.db`, join(out, 'hand', 's.db')]);
    await timed('ssh', [...ssh, `root@${leader.ip}`, 'rm -f /root/s.db']);
    const hand = (performance.now() - t0) / 1000;
    rows.push({ ks: ks.seconds, hand, size: statSync(file).size });
  }
  const lines = [
    `kubesmith etcd snapshot vs etcdctl snapshot save + scp by hand (node ${process.version}), ${ROUNDS} rounds interleaved`,
    `machine: 2 cores, load average ${loadavg()[0]?.toFixed(1)} at the end; etcd 3.5.30 on 3 nspawn hosts, snapshot taken on ${leader.name} (the leader)`,
    'round   snapshot MB   kubesmith s   by hand s   ratio',
    ...rows.map((x, i) => `${String(i + 1).padEnd(8)}${(x.size / 1e6).toFixed(1).padStart(11)}   ${x.ks.toFixed(2).padStart(11)}   ${x.hand.toFixed(2).padStart(9)}   ${(x.ks / x.hand).toFixed(2)}x`),
    'where kubesmith\'s time went (phase-done records of its run log; "before" = process start to the first phase, "after" = PKI tar and exit):',
    ...phases.map((p, i) => `  round ${i + 1}: ${p}`),
    `median: kubesmith ${median(rows.map((x) => x.ks)).toFixed(2)} s, by hand ${median(rows.map((x) => x.hand)).toFixed(2)} s, ratio ${(median(rows.map((x) => x.ks)) / median(rows.map((x) => x.hand))).toFixed(2)}x (target <= 1.2x)`,
  ];
  console.log(lines.join('\n'));
  writeFileSync(join(ROOT, 'bench/etcd-snapshot/last-run.txt'), `${lines.join('\n')}\n`);
  execFileSync('true');
});
