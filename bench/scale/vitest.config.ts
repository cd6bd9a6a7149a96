import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The scale benchmark: one long "test" on real nspawn hosts that prints the cost curve over host counts. */
export default defineConfig({
  test: { root, include: ['bench/scale/*.bench-run.ts'], testTimeout: 4 * 3_600_000, hookTimeout: 600_000, fileParallelism: false },
});
