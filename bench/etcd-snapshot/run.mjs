#!/usr/bin/env node
// etcd snapshot benchmark, side by side on the same nspawn test hosts with real etcd (needs root):
//   `kubesmith etcd snapshot` (whole process: inventory, plan, SSH, member choice, snapshot save,
//   snapshot status + sha256 on the host, streamed copy checked by sha256, PKI tar) vs. what an
//   operator types by hand: `ssh leader etcdctl snapshot save` + `scp` + `ssh rm`, on a ~100 MB etcd.
// Usage: sudo node bench/etcd-snapshot/run.mjs     (BENCH_MB=100, BENCH_ROUNDS=3; prints a table and
// writes bench/etcd-snapshot/last-run.txt)
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
if (process.getuid?.() !== 0) {
  console.error('bench/etcd-snapshot: needs root (systemd-nspawn test hosts); see /work/shared/reference/test-hosts.md');
  process.exit(2);
}
spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const r = spawnSync('npx', ['vitest', 'run', '--config', 'bench/etcd-snapshot/vitest.config.ts', '--reporter=dot'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
