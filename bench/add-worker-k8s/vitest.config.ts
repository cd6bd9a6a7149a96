import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The real-Kubernetes add-worker benchmark: one long "test" on nspawn hosts that prints a table. */
export default defineConfig({
  test: { root, include: ['bench/add-worker-k8s/*.bench-run.ts'], testTimeout: 3_600_000, hookTimeout: 900_000, fileParallelism: false },
});
