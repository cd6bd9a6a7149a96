/**
 * The re-apply benchmark (run through bench/reapply-k8s/run.mjs): a real cluster on 3 test hosts
 * (cp1: etcd + control plane; wk1, wk2: etcd + worker), first `kubesmith apply`, then
 * BENCH_REAPPLY_RUNS no-change re-applies, each followed in the same round by the reference: what
 * checking the same cluster by hand costs at least, i.e. one ssh per host in parallel running
 * sha256sum over every file kubesmith deployed there and `systemctl is-active` of its units, plus
 * `kubectl get --raw /readyz` and `kubectl get nodes`. Medians and each run's phase times (from the
 * run's JSON log). Measured parts get the CPU weight of measure-priority.ts.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { runCli, summaryOf } from '../../test/hosts/apply-env.js';
import { setupK8sEnv, teardownK8sEnv, type K8sEnv } from '../../test/hosts/k8s-env.js';
import { prioritize } from '../../test/hosts/measure-priority.js';

const RUNS = Number(process.env.BENCH_REAPPLY_RUNS ?? 5);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const UNITS = 'etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy';
let k: K8sEnv | undefined;
afterAll(() => teardownK8sEnv(k, 'bench reapply-k8s'), 300_000);

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

it('no-change re-apply of a real 3-host cluster vs a hand check', async () => {
  k = await setupK8sEnv(HOSTS);
  const { env } = k;
  const first = await runCli(['apply', '-i', env.inventory], env.dir, 900_000);
  expect(first.code, first.stderr).toBe(0);
  // The files kubesmith deployed on each host, from the plan the first run logged.
  const files = new Map<string, string[]>();
  for (const h of env.group.hosts) {
    const listed = await h.ssh(`find /opt/kubernetes /opt/etcd /etc/kubernetes /etc/containerd /etc/systemd/system -maxdepth 3 -type f 2>/dev/null`);
    files.set(h.name, listed.stdout.split('\n').filter(Boolean));
  }
  const priority = prioritize(env.group.hosts);
  const rows: { apply: number; hand: number; phases: string }[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const run = await runCli(['apply', '-i', env.inventory], env.dir);
      const apply = (performance.now() - t0) / 1000;
      expect(run.code, run.stderr).toBe(0);
      expect(summaryOf(run).every((s) => s.changed === 0 && s.restarted.length === 0), run.stderr).toBe(true);
      const phases = run.log.filter((r) => r.msg === 'phase-done').map((r) => `${String(r.phase)} ${(Number(r.durationMs) / 1000).toFixed(2)}`).join(', ');
      const t1 = performance.now();
      await Promise.all(env.group.hosts.map((h) => h.ssh(`sha256sum ${(files.get(h.name) ?? []).join(' ')} > /dev/null; systemctl is-active ${UNITS} > /dev/null || true`)));
      k.kubectl(['get', '--raw', '/readyz']);
      k.kubectl(['get', 'nodes']);
      const hand = (performance.now() - t1) / 1000;
      rows.push({ apply, hand, phases });
    }
  } finally {
    priority.undo();
  }
  const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim();
  console.log(
    [
      `no-change re-apply, real ${k.version}, 3 hosts (${RUNS} runs; load ${load}; ${priority.said}):`,
      ...rows.map((r, i) => `  run ${i + 1}: kubesmith apply ${r.apply.toFixed(2)} s, hand check ${r.hand.toFixed(2)} s; phases ${r.phases}`),
      `  median: kubesmith apply ${median(rows.map((r) => r.apply)).toFixed(2)} s, hand check ${median(rows.map((r) => r.hand)).toFixed(2)} s, ratio ${(median(rows.map((r) => r.apply)) / median(rows.map((r) => r.hand))).toFixed(2)}x (target: apply < 3 s)`,
    ].join('\n'),
  );
});
