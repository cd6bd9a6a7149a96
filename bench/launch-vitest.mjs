// The launcher of the benchmarks that run as one long vitest "test" on nspawn test hosts
// (bench/deploy, bench/etcd-snapshot, bench/reapply-k8s): checks what the bench needs, builds
// dist/, runs bench/<name>/vitest.config.ts and exits with vitest's status.
import { spawnSync } from 'node:child_process';

const root = new URL('../', import.meta.url).pathname;

/** `env`: environment variables the bench cannot run without, with what each must name; `files`: which of its bench-run files (default: all). */
export function launchVitestBench(name, env = {}, files = []) {
  const needs = Object.entries(env).filter(([k]) => !process.env[k]).map(([k, what]) => `${k} (${what})`);
  if (process.getuid?.() !== 0) needs.unshift('root (systemd-nspawn test hosts; see /work/shared/reference/test-hosts.md)');
  if (needs.length > 0) {
    console.error(`bench/${name}: needs ${needs.join(' and ')}`);
    process.exit(2);
  }
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const r = spawnSync('npx', ['vitest', 'run', '--config', `bench/${name}/vitest.config.ts`, '--reporter=dot', ...files], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
