#!/usr/bin/env node
// Deploy benchmark, one run, side by side on the same nspawn test hosts (needs root):
//   kubesmith's executor/transport vs parallel OpenSSH scp vs Ansible's copy module, pushing the
//   same >= 300 MB of binaries to 5 hosts; a no-change re-apply on 5 hosts; kubesmith's peak RSS.
// Usage: sudo node bench/deploy/run.mjs     (prints a table; BENCH_HOSTS=3..5, BENCH_MB=320)
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
if (process.getuid?.() !== 0) {
  console.error('bench/deploy: needs root (systemd-nspawn test hosts); see /work/shared/reference/test-hosts.md');
  process.exit(2);
}
spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const r = spawnSync('npx', ['vitest', 'run', '--config', 'bench/deploy/vitest.config.ts', '--reporter=dot'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
