#!/usr/bin/env node
// bench/render: `kubesmith render` (the built dist, whole process) for a generated 500-host
// inventory, side by side with the shipped example (4 hosts) and a 7-host VIP variant, in one run.
// Each case: `pki generate` once (setup, not timed), then RUNS timed renders into a fresh directory.
// Reports median wall time, the ratio to the example, and peak RSS (process.resourceUsage().maxRSS,
// read inside the measured process by rss-probe.mjs). A floor is measured in the same run: a bare
// node process writing the same files (same paths, sizes, modes) with plain writeFileSync, so the
// filesystem's share of the 500-host time is visible. BENCH_DIR sets where trees are written
// (default: the OS temp dir). Usage: npm run build && node bench/render/run.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');
const PROBE = new URL('./rss-probe.mjs', import.meta.url).pathname;
const RUNS = Number(process.env.RUNS ?? 5);
const BENCH_DIR = process.env.BENCH_DIR ?? tmpdir();
const example = readFileSync(join(ROOT, 'inventory.example.yaml'), 'utf8');

const host = (name, ip, roles) => `  - { name: ${name}, address: ${ip}, roles: [${roles.join(', ')}] }`;
const withHosts = (text, hosts, clusterExtra = '') =>
  text.replace(/^hosts:\n[\s\S]*?(?=^# concurrency)/m, `hosts:\n${hosts.join('\n')}\n\n`).replace(/^  apiServer:\n/m, `  apiServer:\n${clusterExtra}`);

/** 7 hosts: the example plus the classic guide's two VIP load balancers and a third worker. */
const seven = withHosts(
  example,
  [
    host('master01', '192.168.80.10', ['control-plane', 'etcd']),
    host('master02', '192.168.80.20', ['control-plane']),
    host('node01', '192.168.80.11', ['worker', 'etcd']),
    host('node02', '192.168.80.12', ['worker', 'etcd']),
    host('node03', '192.168.80.15', ['worker']),
    host('lb01', '192.168.80.13', ['loadbalancer']),
    host('lb02', '192.168.80.14', ['loadbalancer']),
  ],
  '    ha: vip\n    vip: 192.168.80.88\n',
);

/** 500 hosts: 3 control-plane + etcd, 497 workers on 10.1.0.0/16. */
const big = withHosts(example.replace('serviceCIDR: 10.0.0.0/24', 'serviceCIDR: 10.96.0.0/16').replace('podCIDR: 10.244.0.0/16', 'podCIDR: 10.200.0.0/14'), [
  ...[1, 2, 3].map((i) => host(`master${i}`, `10.1.0.${i}`, ['control-plane', 'etcd'])),
  ...Array.from({ length: 497 }, (_, i) => host(`node${String(i + 1).padStart(3, '0')}`, `10.1.${2 + Math.floor(i / 250)}.${(i % 250) + 1}`, ['worker'])),
]);

function kubesmith(cwd, args, probe) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...(probe ? ['--import', PROBE] : []), MAIN, ...args], { cwd, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`kubesmith ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const m = /KUBESMITH_BENCH maxRSS_kB=(\d+) cpu_us=(\d+)/.exec(r.stderr);
  return { ms, rssMB: Number(m?.[1] ?? NaN) / 1024, cpuMs: Number(m?.[2] ?? NaN) / 1000, out: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** rel path, size and mode of every file of a rendered tree. */
function listTree(root) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ rel: p.slice(root.length + 1), size: statSync(p).size, mode: statSync(p).mode & 0o777 });
    }
  };
  walk(root);
  return out;
}

/** The floor: a bare node process writing the same files (mkdir per directory once, then writeFileSync). */
function floor(files) {
  const dir = mkdtempSync(join(BENCH_DIR, 'kubesmith-floor-'));
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify(files));
  // Each run writes a fresh directory (deleting trees between runs costs discard I/O on some disks).
  const script = `const fs=require('fs'),p=require('path');const fl=JSON.parse(fs.readFileSync(process.argv[1],'utf8'));const root=p.join(p.dirname(process.argv[1]),process.argv[2]);
for(const d of [...new Set(fl.map(f=>p.dirname(p.join(root,f.rel))))].sort())fs.mkdirSync(d,{recursive:true,mode:0o700});
for(const f of fl)fs.writeFileSync(p.join(root,f.rel),'x'.repeat(f.size),{mode:f.mode});`;
  try {
    const ms = Array.from({ length: RUNS }, (_, i) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['-e', script, spec, `t${i}`]);
      if (r.status !== 0) throw new Error(String(r.stderr));
      return performance.now() - t0;
    });
    return median(ms);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bench(name, yaml) {
  const dir = mkdtempSync(join(BENCH_DIR, 'kubesmith-bench-'));
  try {
    writeFileSync(join(dir, 'inventory.yaml'), yaml);
    kubesmith(dir, ['pki', 'generate', '-i', 'inventory.yaml'], false);
    const runs = Array.from({ length: RUNS }, (_, i) => kubesmith(dir, ['render', '-i', 'inventory.yaml', '--out', `out${i}`], true));
    const files = Number(/: (\d+) files for (\d+) hosts/.exec(runs[0].out)?.[1]);
    const hosts = Number(/: (\d+) files for (\d+) hosts/.exec(runs[0].out)?.[2]);
    return { name, hosts, files, ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)), maxMs: Math.max(...runs.map((r) => r.ms)), rssMB: Math.max(...runs.map((r) => r.rssMB)), tree: listTree(join(dir, 'out0')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [bench('example', example), bench('7-host vip', seven), bench('500 hosts', big)];
const base = results[0].ms;
console.log(`kubesmith render, whole process (node ${process.version}), median of ${RUNS} runs`);
const cpuBase = results[0].cpuMs;
const load = (await import('node:os')).loadavg()[0];
console.log(`machine: ${(await import('node:os')).cpus().length} cores, load average ${load.toFixed(1)} (wall time is inflated on a busy machine; CPU time much less)`);
console.log('case          hosts  files   wall ms   max ms   x example   cpu ms   x example   peak RSS MB');
for (const r of results) {
  console.log(`${r.name.padEnd(12)} ${String(r.hosts).padStart(6)} ${String(r.files).padStart(6)} ${r.ms.toFixed(0).padStart(9)} ${r.maxMs.toFixed(0).padStart(8)} ${(r.ms / base).toFixed(2).padStart(11)} ${r.cpuMs.toFixed(0).padStart(8)} ${(r.cpuMs / cpuBase).toFixed(2).padStart(11)} ${r.rssMB.toFixed(1).padStart(13)}`);
}
const big500 = results[2];
const floorMs = floor(big500.tree);
console.log(`floor: bare node writing the same ${big500.tree.length} files: median ${floorMs.toFixed(0)} ms; kubesmith's own share for 500 hosts: ${(big500.ms - floorMs).toFixed(0)} ms`);
console.log(`500 hosts: wall ${big500.ms.toFixed(0)} ms, cpu ${big500.cpuMs.toFixed(0)} ms (target: whole process under 2000 ms)`);
