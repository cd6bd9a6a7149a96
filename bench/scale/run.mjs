#!/usr/bin/env node
// Scale benchmark on real nspawn test hosts (needs root), one run, side by side: for each host count
// N (default 3,10,25,50), boots N hosts (cp1: etcd + control plane, the rest workers; stub Kubernetes
// binaries, real etcd and containerd), then times `kubesmith apply` (first) and a no-change re-apply
// (whole CLI processes, with their CPU time, peak RSS and any Node warnings), and the same fan-out by
// hand at the same concurrency: parallel scp + ssh of the same files, and one ssh per host checking
// them. Prints a table and saves it to bench/scale/last-run.txt.
// Usage: sudo node bench/scale/run.mjs [3,10,25,50]     (BENCH_CONCURRENCY=10)
//        sudo node bench/scale/run.mjs --record          re-records fixtures/recorded-fleet.json (simulate.mjs replays it)
import { launchVitestBench } from '../launch-vitest.mjs';

const arg = process.argv[2];
if (arg === '--record') launchVitestBench('scale', {}, ['bench/scale/record.bench-run.ts']);
else {
  if (arg !== undefined) {
    if (!/^\d+(,\d+)*$/.test(arg)) {
      console.error(`bench/scale: host counts as a comma-separated list (e.g. 3,10), or --record; got ${arg}`);
      process.exit(2);
    }
    process.env.BENCH_SCALE_N = arg;
  }
  launchVitestBench('scale', {}, ['bench/scale/scale.bench-run.ts']);
}
