#!/usr/bin/env node
// Scale simulation (no root, no hosts): `kubesmith plan` and `kubesmith apply --dry-run` over 100 ..
// 5,000 simulated hosts answering with what real test hosts answered (fixtures/recorded-fleet.json;
// `sudo node bench/scale/run.mjs --record` records it again). Prints the curve, saves last-sim.txt.
// Usage: node bench/scale/simulate.mjs [100,500,1000,2500,5000]    (BENCH_SIM_RUNS=1)
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
const arg = process.argv[2];
if (arg !== undefined) {
  if (!/^\d+(,\d+)*$/.test(arg) || arg.split(',').some((n) => Number(n) < 4)) {
    console.error(`bench/scale/simulate: host counts (each at least 4) as a comma-separated list, e.g. 100,1000; got ${arg}`);
    process.exit(2);
  }
  process.env.BENCH_SIM_N = arg;
}
spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const r = spawnSync('npx', ['vitest', 'run', '--config', 'bench/scale/vitest.config.ts', '--reporter=dot', 'bench/scale/simulate.bench-run.ts'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
