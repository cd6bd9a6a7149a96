/**
 * Development aid, not a benchmark: boots the bench's 5 hosts, applies once, writes the work
 * dir and inventory to /tmp/ks-hold.json, and keeps the hosts up until /tmp/ks-hold.stop exists,
 * so `node dist/cli/main.js apply -i <inventory>` can be timed by hand between code changes.
 * Run: HOLD=1 npx vitest run --config bench/deploy/vitest.config.ts bench/deploy/hold.bench-run.ts
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { canBootHosts } from '../../test/support/test-hosts.js';
import { setupApplyEnv, type ApplyEnv } from '../../test/hosts/apply-env.js';

let env: ApplyEnv | undefined;
afterAll(async () => env?.close());

it.skipIf(!canBootHosts().ok || process.env.HOLD === undefined)('hold 5 applied hosts', async () => {
  const names = ['cp1', 'wk1', 'wk2', 'wk3', 'wk4'];
  env = await setupApplyEnv(names.map((name, i) => ({ name, roles: i < 3 ? ['etcd', i === 0 ? 'control-plane' : 'worker'] : ['worker'] })));
  const first = await env.apply();
  expect(first.code, first.stderr).toBe(0);
  rmSync('/tmp/ks-hold.stop', { force: true });
  writeFileSync('/tmp/ks-hold.json', JSON.stringify({ dir: env.dir, inventory: env.inventory }));
  while (!existsSync('/tmp/ks-hold.stop')) await new Promise((r) => setTimeout(r, 1000));
});
