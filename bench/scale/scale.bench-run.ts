/**
 * The scale benchmark on real hosts (run through bench/scale/run.mjs; root). For each host count N
 * (BENCH_SCALE_N, default 3,10,25,50): boots N nspawn hosts (cp1: etcd + control plane, wk1..: workers;
 * the stub test bundle: real etcd and containerd, stub Kubernetes binaries, which kubesmith installs
 * and enables but does not start), then, in one session:
 * 1. `kubesmith apply` (first) and a no-change re-apply, whole CLI processes: wall time, client CPU
 *    (user + sys) and peak RSS (rss-probe.mjs, inside the process), the most file descriptors it held
 *    (/proc, sampled every 100 ms), and every Node warning on its stderr (MaxListenersExceeded, EMFILE);
 * 2. the reference, at the same concurrency (concurrency.hosts hosts at once): the files kubesmith
 *    put on each host pushed by hand, one `scp -r` and one `ssh` (sha256sum -c of the files) per host;
 *    and the hand check of a re-apply, one `ssh` per host hashing every deployed file and asking
 *    systemctl whether the host's units run.
 * The hosts share this machine's cores with the client (and the reference), so the numbers show the
 * machine as much as kubesmith: compare kubesmith with the reference in the same row.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { canBootHosts, sshArgs } from '../../test/support/test-hosts.js';
import { setupApplyEnv, summaryOf, type ApplyEnv, type CliRun } from '../../test/hosts/apply-env.js';
import { prioritize } from '../../test/hosts/measure-priority.js';
import { CONCURRENCY, SCALE_INVENTORY } from './_fleet.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');
const PROBE = join(ROOT, 'bench/render/rss-probe.mjs');
const SIZES = (process.env.BENCH_SCALE_N ?? '3,10,25,50').split(',').map(Number);
const WARNING = /MaxListenersExceededWarning|EMFILE|ENFILE|too many open files|\(node:\d+\) \w*Warning/g;
let env: ApplyEnv | undefined;
afterAll(async () => env?.close(), 300_000);

interface Measured {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly rssMB: number;
  readonly fds: number;
  readonly warnings: readonly string[];
  readonly run: CliRun;
}

/** One CLI run with rss-probe.mjs preloaded, its descriptors sampled from /proc. */
function measuredCli(args: readonly string[], cwd: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', PROBE, MAIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fds = 0;
    const sample = setInterval(() => {
      try {
        fds = Math.max(fds, readdirSync(`/proc/${child.pid}/fd`).length);
      } catch {
        // exiting
      }
    }, 100);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(sample);
      const seconds = (performance.now() - t0) / 1000;
      const m = /KUBESMITH_BENCH maxRSS_kB=(\d+) cpu_us=(\d+)/.exec(stderr);
      const logPath = /^log: (.+)$/m.exec(stderr)?.[1];
      const log = logPath ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
      resolve({ seconds, cpuSeconds: Number(m?.[2] ?? NaN) / 1e6, rssMB: Number(m?.[1] ?? NaN) / 1024, fds, warnings: stderr.match(WARNING) ?? [], run: { code, signal, stdout, stderr, log } });
    });
  });
}

/** Runs `task` for every item, `limit` at once (the reference's fan-out). */
async function pool<T>(items: readonly T[], limit: number, task: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++] as T);
  }));
}

/** A local command; rejects on a non-zero exit. */
function sh(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.slice(-2).join(' ')} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** Per host: the files the plan put there and its units (`kubesmith plan --json`, after the first apply). */
async function deployed(e: ApplyEnv): Promise<Map<string, { files: string[]; units: string[] }>> {
  const r = await measuredCli(['plan', '-i', e.inventory, '--json'], e.dir);
  expect(r.run.code, r.run.stderr).toBe(0);
  const plan = JSON.parse(r.run.stdout) as { hosts: { name: string; units: string[]; files: { path: string }[] }[] };
  // plus what prepare-hosts writes (phase files, not plan files)
  const own = ['/etc/hosts', '/etc/sysctl.d/99-kubernetes.conf', '/etc/modules-load.d/kubernetes.conf'];
  // Only what is there: plan lists image tarballs that apply leaves out with stub binaries.
  const there = (host: string, p: string): boolean => existsSync(e.group.host(host).path(p));
  return new Map(plan.hosts.map((h) => [h.name, { files: [...h.files.map((f) => f.path), ...own].filter((p) => there(h.name, p)), units: h.units }]));
}

/** The reference push: each host's deployed files (copied off its disk) by one scp -r, then one ssh checking them; `c` hosts at once. */
async function referencePush(e: ApplyEnv, files: Map<string, { files: string[] }>): Promise<number> {
  const stage = join(e.dir, 'reference');
  const objects = join(stage, '.objects'); // one copy per content, hard-linked into each host's tree
  mkdirSync(objects, { recursive: true });
  for (const h of e.group.hosts) {
    const root = join(stage, h.name, 'ksref');
    const list = files.get(h.name)?.files ?? [];
    const sums: string[] = [];
    for (const p of list) {
      const body = readFileSync(h.path(p));
      const sha = createHash('sha256').update(body).digest('hex');
      if (!existsSync(join(objects, sha))) writeFileSync(join(objects, sha), body);
      mkdirSync(dirname(join(root, p)), { recursive: true });
      linkSync(join(objects, sha), join(root, p));
      sums.push(`${sha}  .${p}\n`); // as sha256sum -c reads them, relative to the pushed directory
    }
    writeFileSync(join(root, 'SUMS'), sums.join(''));
  }
  const args = sshArgs(e.group.keyFile, e.group.knownHostsFile, 10);
  const t0 = performance.now();
  await pool(e.group.hosts, CONCURRENCY, async (h) => {
    await sh('scp', ['-q', '-r', ...args, join(stage, h.name, 'ksref'), `root@${h.ip}:/var/tmp/`]);
    await sh('ssh', [...args, `root@${h.ip}`, '--', 'cd /var/tmp/ksref && sha256sum -c --quiet SUMS']);
  });
  const seconds = (performance.now() - t0) / 1000;
  await pool(e.group.hosts, CONCURRENCY, (h) => sh('ssh', [...args, `root@${h.ip}`, '--', 'rm -rf /var/tmp/ksref']));
  rmSync(stage, { recursive: true, force: true });
  return seconds;
}

/** The hand check of a re-apply: one ssh per host hashing every deployed file and asking systemctl about its units; `c` hosts at once. */
async function referenceCheck(e: ApplyEnv, files: Map<string, { files: string[]; units: string[] }>): Promise<number> {
  const args = sshArgs(e.group.keyFile, e.group.knownHostsFile, 10);
  const t0 = performance.now();
  await pool(e.group.hosts, CONCURRENCY, async (h) => {
    const f = files.get(h.name);
    await sh('ssh', [...args, `root@${h.ip}`, '--', `sha256sum ${f?.files.join(' ')} > /dev/null; systemctl is-active ${f?.units.join(' ')} > /dev/null; true`]);
  });
  return (performance.now() - t0) / 1000;
}

interface Row {
  readonly n: number;
  readonly bootSeconds: number;
  readonly first: Measured;
  readonly again: Measured;
  readonly push: number;
  readonly check: number;
  readonly phases: string;
  readonly load: string;
}

it.skipIf(!canBootHosts().ok)(`scale benchmark: ${SIZES.join(', ')} hosts`, async () => {
  const rows: Row[] = [];
  for (const n of SIZES) {
    const specs = Array.from({ length: n }, (_, i) => (i === 0 ? { name: 'cp1', roles: ['etcd', 'control-plane'] } : { name: `wk${i}`, roles: ['worker'] }));
    const t0 = performance.now();
    env = await setupApplyEnv(specs, { inventory: SCALE_INVENTORY });
    const bootSeconds = (performance.now() - t0) / 1000;
    const priority = prioritize(env.group.hosts);
    try {
      const first = await measuredCli(['apply', '-i', env.inventory], env.dir);
      expect(first.run.code, first.run.stderr.slice(-3000)).toBe(0);
      const again = await measuredCli(['apply', '-i', env.inventory], env.dir);
      expect(again.run.code, again.run.stderr.slice(-3000)).toBe(0);
      expect(summaryOf(again.run).filter((s) => s.changed !== 0 || s.restarted.length !== 0)).toEqual([]);
      const files = await deployed(env);
      const check = await referenceCheck(env, files);
      const push = await referencePush(env, files);
      const phases = again.run.log.filter((r) => r.msg === 'phase-done').map((r) => `${String(r.phase)} ${(Number(r.durationMs) / 1000).toFixed(1)}`).join(', ');
      rows.push({ n, bootSeconds, first, again, push, check, phases, load: loadavg().map((l) => l.toFixed(1)).join(' ') });
      console.log(`n=${n}: boot ${bootSeconds.toFixed(0)} s, first ${first.seconds.toFixed(1)} s, re-apply ${again.seconds.toFixed(1)} s, push ${push.toFixed(1)} s, check ${check.toFixed(1)} s; ${phases}`);
    } finally {
      priority.undo();
      await env.close();
      env = undefined;
    }
  }
  const f1 = (x: number): string => x.toFixed(1);
  const waves = (n: number): number => Math.ceil(n / CONCURRENCY);
  const lines = [
    `scale bench on real nspawn hosts (cp1: etcd + control plane, the rest workers; stub Kubernetes binaries), concurrency.hosts = uploads = ${CONCURRENCY}, node ${process.version}`,
    `machine: ${cpus().length} cores shared by the client, the reference and every host; measured parts at cpu.shares 8192 (test/hosts/measure-priority.ts)`,
    '',
    '| hosts | first apply s | ref push s (scp + ssh) | re-apply s | waves (hosts / concurrency) | re-apply s per wave | ref check s (ssh) | re-apply / ref check | client CPU s first / re | peak RSS MB first / re | peak fds first / re | warnings |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      `| ${r.n} | ${f1(r.first.seconds)} | ${f1(r.push)} | ${f1(r.again.seconds)} | ${waves(r.n)} | ${f1(r.again.seconds / waves(r.n))} | ${f1(r.check)} | ${(r.again.seconds / r.check).toFixed(2)}x | ${f1(r.first.cpuSeconds)} / ${f1(r.again.cpuSeconds)} | ${r.first.rssMB.toFixed(0)} / ${r.again.rssMB.toFixed(0)} | ${r.first.fds} / ${r.again.fds} | ${r.first.warnings.length + r.again.warnings.length} |`,
    ),
    '',
    ...rows.map((r) => `${r.n} hosts: booted in ${r.bootSeconds.toFixed(0)} s; load average after ${r.load}; re-apply phases (s): ${r.phases}`),
    ...rows.flatMap((r) => [...r.first.warnings, ...r.again.warnings].map((w) => `${r.n} hosts: warning: ${w}`)),
    'targets: re-apply time at most linear in hosts / concurrency.hosts; client peak RSS < 300 MB at 50 hosts; no descriptor or listener warnings',
  ];
  const table = lines.join('\n');
  console.log(`\n${table}\n`);
  writeFileSync(new URL('./last-run.txt', import.meta.url), `${table}\n`);
});
