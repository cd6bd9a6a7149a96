/**
 * The add-worker benchmark (run through bench/add-worker-k8s/run.mjs), #10's figure: a real cluster
 * on 3 test hosts (cp1: etcd + control plane; wk1, wk2: etcd + worker) and a fourth host wk3 booted
 * but not in the inventory. Each round:
 * - kubesmith: wk3 goes into the inventory and `kubesmith apply --limit wk3` runs, timed until wk3
 *   is a Ready node (apply ends there; the bench checks it). Only wk3 may change.
 * - by hand: after `kubesmith remove wk3` (untimed), what an admin who already has every file
 *   pays at least: one ssh streaming a tar of exactly the files kubesmith put on wk3 (captured after
 *   the first add), daemon-reload, containerd started, the pause image imported, kubelet and
 *   kube-proxy started, then `kubectl certificate approve` of wk3's CSRs as they come, until Ready.
 *   No checks of any kind: the floor, not a fair competitor.
 * Medians, their ratio and each kubesmith run's phase times (from its JSON log). The measured parts
 * get measure-priority.ts's CPU weight unless BENCH_PRIORITY=0.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, openSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli, summaryOf } from '../../test/hosts/apply-env.js';
import { setupK8sEnv, teardownK8sEnv, type K8sEnv } from '../../test/hosts/k8s-env.js';
import { prioritize } from '../../test/hosts/measure-priority.js';

const RUNS = Number(process.env.BENCH_ADD_RUNS ?? 5);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
  { name: 'wk3', roles: ['worker'] },
];
let k: K8sEnv | undefined;
afterAll(() => teardownK8sEnv(k, 'bench add-worker-k8s'), 300_000);

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Csr {
  metadata: { name: string };
  spec: { username: string; signerName: string };
  status?: { conditions?: { type: string }[] };
}

it('adding a worker to a real 3-host cluster vs the same add by hand', async () => {
  k = await setupK8sEnv(HOSTS);
  const kk = k;
  const { env } = kk;
  const wk3 = env.group.hosts.find((h) => h.name === 'wk3');
  if (!wk3) throw new Error('no wk3');
  const withWk3 = env.writeInventory('with-wk3.yaml');
  const without = env.writeInventory('inventory.yaml', { without: ['wk3'] });
  const first = await runCli(['apply', '-i', without], env.dir, 900_000);
  expect(first.code, first.stderr).toBe(0);

  const ready = (): boolean => {
    const out = kk.kubectl(['get', 'nodes', 'wk3', '--ignore-not-found', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return out.trim() === 'True';
  };
  const remove = async (): Promise<void> => {
    const r = await runCli(['remove', '-i', withWk3, 'wk3'], env.dir);
    expect(r.code, r.stderr).toBe(0);
  };
  const addWithKubesmith = async (): Promise<{ apply: number; toReady: number; phases: string }> => {
    const t0 = performance.now();
    const run = await runCli(['apply', '-i', withWk3, '--limit', 'wk3'], env.dir);
    const apply = (performance.now() - t0) / 1000;
    expect(run.code, run.stderr).toBe(0);
    const others = summaryOf(run).filter((s) => s.host !== 'wk3');
    expect(others.every((s) => s.changed === 0 && s.restarted.length === 0), JSON.stringify(others)).toBe(true);
    while (!ready()) await sleep(100);
    const toReady = (performance.now() - t0) / 1000;
    const phases = run.log.filter((r) => r.msg === 'phase-done').map((r) => `${String(r.phase)} ${(Number(r.durationMs) / 1000).toFixed(2)}`).join(', ');
    return { apply, toReady, phases };
  };

  // The first add (not counted) leaves the files the hand procedure copies.
  await addWithKubesmith();
  const plan = JSON.parse((await runCli(['plan', '-i', withWk3, '--json'], env.dir)).stdout) as { hosts: { name: string; files: { path: string }[] }[] };
  const files = plan.hosts.find((h) => h.name === 'wk3')?.files.map((f) => f.path) ?? [];
  expect(files.length).toBeGreaterThan(10);
  const images = files.filter((f) => f.endsWith('.tar'));
  const tarFile = join(env.dir, 'wk3-files.tar');
  execFileSync('ssh', ['-i', env.group.keyFile, '-o', `UserKnownHostsFile=${env.group.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${wk3.ip}`, `tar -C / -cf - ${files.map((f) => f.slice(1)).join(' ')}`], {
    stdio: ['ignore', openSync(tarFile, 'w'), 'inherit'],
  });

  const addByHand = async (): Promise<number> => {
    const t0 = performance.now();
    const script = [
      'set -e',
      'tar -xpf - -C /',
      'sync',
      'systemctl daemon-reload',
      'systemctl enable --now containerd',
      ...images.map((i) => `ctr -n k8s.io images import --snapshotter native ${i} > /dev/null`),
      'systemctl enable --now kubelet kube-proxy',
    ].join('\n');
    const ssh = spawn('ssh', ['-i', env.group.keyFile, '-o', `UserKnownHostsFile=${env.group.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${wk3.ip}`, script], { stdio: ['pipe', 'ignore', 'inherit'] });
    createReadStream(tarFile).pipe(ssh.stdin);
    const code = await new Promise<number | null>((r) => ssh.on('close', r));
    expect(code).toBe(0);
    for (;;) {
      const csrs = (JSON.parse(kk.kubectl(['get', 'csr', '-o', 'json'])) as { items: Csr[] }).items;
      const pending = csrs.filter((c) => !(c.status?.conditions ?? []).length && /^system:(bootstrap:|node:wk3$)/.test(c.spec.username));
      for (const c of pending) kk.kubectl(['certificate', 'approve', c.metadata.name]);
      if (ready()) break;
      await sleep(100);
    }
    return (performance.now() - t0) / 1000;
  };

  // BENCH_PRIORITY=0 measures without the CPU weight (what a loaded machine gives everyone alike).
  const priority = process.env.BENCH_PRIORITY === '0' ? { undo: () => undefined, said: 'no CPU weight (BENCH_PRIORITY=0)' } : prioritize(env.group.hosts);
  const rows: { apply: number; toReady: number; hand: number; phases: string }[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      await remove();
      const ours = await addWithKubesmith();
      await remove();
      const hand = await addByHand();
      rows.push({ ...ours, hand });
    }
  } finally {
    priority.undo();
  }
  const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim();
  const m = (f: (r: (typeof rows)[number]) => number): number => median(rows.map(f));
  const table = [
    `adding worker wk3 to a real ${kk.version} cluster of 3 hosts (${RUNS} runs; load ${load}; ${priority.said}; ${files.length} files, ${images.length} image(s)):`,
    ...rows.map((r, i) => `  run ${i + 1}: kubesmith apply --limit wk3 ${r.apply.toFixed(2)} s (Ready at ${r.toReady.toFixed(2)} s), by hand ${r.hand.toFixed(2)} s; phases ${r.phases}`),
    `  median: kubesmith ${m((r) => r.toReady).toFixed(2)} s to Ready, by hand ${m((r) => r.hand).toFixed(2)} s, ratio ${(m((r) => r.toReady) / m((r) => r.hand)).toFixed(2)}x (target: < 10 s, only wk3 written)`,
  ].join('\n');
  console.log(table);
  writeFileSync(fileURLToPath(new URL('./last-run.txt', import.meta.url)), `${table}\n`);
});
