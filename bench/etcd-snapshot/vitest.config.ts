import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The etcd snapshot benchmark: one long "test" on real nspawn hosts that prints a comparison table. */
export default defineConfig({
  test: { root, include: ['bench/etcd-snapshot/*.bench-run.ts'], testTimeout: 3_600_000, hookTimeout: 600_000, fileParallelism: false },
});
