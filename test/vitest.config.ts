import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { HostFileOrder } from './host-file-order.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Two projects:
 * - unit: pure code, local processes (openssl, go, etcd on loopback, kubectl): parallel files.
 * - hosts: real systemd-nspawn test hosts with sshd and systemd (needs root); one file at a time
 *   because the hosts share the machine's two cores and a bridge, in HostFileOrder.
 * `npm test` (test/run.mjs) runs the two as separate processes at the same time.
 */
export default defineConfig({
  test: {
    root,
    sequence: { sequencer: HostFileOrder },
    projects: [
      {
        test: {
          name: 'unit',
          root,
          include: ['test/**/*.test.ts'],
          exclude: ['test/hosts/**', 'node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'hosts',
          root,
          include: ['test/hosts/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
