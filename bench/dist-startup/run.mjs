#!/usr/bin/env node
// Benchmark: startup of the release artifact (`npm run dist`) beside the npm-installed layout.
// Whole processes, wall time, for `--version` and `validate -i inventory.example.yaml`:
//   npm    node dist/cli/main.js   (what `npm ci` + its prepare step install; run `npm run build` first)
//   cjs    node kubesmith.cjs      (the one-file bundle from kubesmith-<version>.tar.gz)
//   sea    ./kubesmith             (the single executable, unless --no-sea)
// Interleaved: each round runs every command with every variant, in a rotating order, so load
// from other work on the machine falls on all of them alike; 2 warm-up rounds are dropped.
// Wall time and CPU time (user + sys, from GNU time's 10 ms clock: apt-get install time) per run;
// on a loaded 2-core machine the wall time mostly measures the scheduler, the CPU time what the
// process costs. Medians, and each artifact's median over npm's. Usage: npm run build && node bench/dist-startup/run.mjs [--runs 21] [--no-sea]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const WORK = join(ROOT, 'bench/.work/dist-startup');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('runs', '21'));
const SEA = !process.argv.includes('--no-sea');
const MAIN = join(ROOT, 'dist/cli/main.js');
if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (the npm layout is the reference)`);

// The artifacts, built as `npm run dist` builds them, unpacked into the work directory.
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
execFileSync(process.execPath, [join(ROOT, 'scripts/dist/build.mjs'), '--out', join(WORK, 'release'), ...(SEA ? [] : ['--no-sea'])], { stdio: 'ignore' });
execFileSync('tar', ['-xzf', join(WORK, 'release', `kubesmith-${version}.tar.gz`), '-C', WORK]);
if (SEA) execFileSync('tar', ['-xzf', join(WORK, 'release', `kubesmith-${version}-linux-${process.arch}.tar.gz`), '-C', WORK]);

const variants = [
  { name: 'npm', argv: [process.execPath, MAIN] },
  { name: 'cjs', argv: [process.execPath, join(WORK, `kubesmith-${version}`, 'kubesmith.cjs')] },
  ...(SEA ? [{ name: 'sea', argv: [join(WORK, `kubesmith-${version}-linux-${process.arch}`, 'kubesmith')] }] : []),
];
const commands = [
  { name: '--version', args: ['--version'] },
  { name: 'validate example', args: ['validate', '-i', join(ROOT, 'inventory.example.yaml')] },
];

const TIME = '/usr/bin/time';
if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install -y time (it reports each run's CPU time)`);

/** One whole process: wall and CPU milliseconds; a failed run stops the bench. */
function timed(v, c) {
  const t = performance.now();
  const r = spawnSync(TIME, ['-f', 'cpu %U %S', ...v.argv, ...c.args], { cwd: WORK, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`${v.name} ${c.name}: exit ${r.status}\n${r.stderr}`);
  const [, user, sys] = /^cpu ([\d.]+) ([\d.]+)$/m.exec(r.stderr) ?? [];
  return { wall, cpu: (Number(user) + Number(sys)) * 1000 };
}

const samples = new Map();
const load0 = loadavg()[0];
for (let round = -2; round < RUNS; round++) {
  for (const c of commands) {
    const order = variants.map((_, i) => variants[(i + round + 2) % variants.length]);
    for (const v of order) {
      const ms = timed(v, c);
      if (round >= 0) for (const k of ['wall', 'cpu']) samples.set(`${c.name}|${v.name}|${k}`, [...(samples.get(`${c.name}|${v.name}|${k}`) ?? []), ms[k]]);
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const lines = [
  `dist-startup: ${RUNS} interleaved rounds (+2 warm-up), node ${process.versions.node}, load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
  '| command (median) | npm layout (node dist/cli/main.js) | kubesmith.cjs | ratio | single executable | ratio |',
  '|---|---|---|---|---|---|',
];
for (const c of commands) {
  for (const k of ['wall', 'cpu']) {
    const m = Object.fromEntries(variants.map((v) => [v.name, median(samples.get(`${c.name}|${v.name}|${k}`))]));
    const cell = (n) => (m[n] === undefined ? '-' : `${m[n].toFixed(0)} ms`);
    const ratio = (n) => (m[n] === undefined ? '-' : `${(m[n] / m.npm).toFixed(2)}x`);
    lines.push(`| \`${c.name}\` ${k} | ${cell('npm')} | ${cell('cjs')} | ${ratio('cjs')} | ${cell('sea')} | ${ratio('sea')} |`);
  }
}
const table = lines.join('\n');
console.log(table);
writeFileSync(join(ROOT, 'bench/.work/dist-startup-last-run.txt'), `${table}\n`);
