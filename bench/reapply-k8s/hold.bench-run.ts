/**
 * Development aid, not a benchmark: a real cluster (cp1: etcd + control plane; wk1, wk2: etcd +
 * worker) applied once, plus wk3 booted but left out of the inventory, kept up until
 * /tmp/ks-hold.stop exists. /tmp/ks-hold.json names the work dir, the inventory (inventory.yaml,
 * without wk3), the one with wk3 (with-wk3.yaml) and the bundle's kubectl, so re-apply and
 * `apply --limit wk3` can be timed by hand between code changes.
 * Run: HOLD=1 KUBESMITH_E2E_K8S_BUNDLE=... npx vitest run --config bench/reapply-k8s/vitest.config.ts bench/reapply-k8s/hold.bench-run.ts
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../../test/hosts/apply-env.js';
import { setupK8sEnv, teardownK8sEnv, type K8sEnv } from '../../test/hosts/k8s-env.js';

let k: K8sEnv | undefined;
afterAll(() => teardownK8sEnv(k, 'hold'), 300_000);

it.skipIf(process.env.HOLD === undefined || !process.env.KUBESMITH_E2E_K8S_BUNDLE)('hold a real cluster', async () => {
  k = await setupK8sEnv([
    { name: 'cp1', roles: ['etcd', 'control-plane'] },
    { name: 'wk1', roles: ['etcd', 'worker'] },
    { name: 'wk2', roles: ['etcd', 'worker'] },
    { name: 'wk3', roles: ['worker'] },
  ]);
  const { env } = k;
  const withWk3 = env.writeInventory('with-wk3.yaml');
  env.writeInventory('inventory.yaml', { without: ['wk3'] });
  const first = await runCli(['apply', '-i', env.inventory], env.dir, 900_000);
  expect(first.code, first.stderr).toBe(0);
  rmSync('/tmp/ks-hold.stop', { force: true });
  writeFileSync('/tmp/ks-hold.json', JSON.stringify({ dir: env.dir, inventory: env.inventory, withWk3, kubectl: k.kubectlPath, state: env.stateDir }));
  while (!existsSync('/tmp/ks-hold.stop')) await new Promise((r) => setTimeout(r, 1000));
});
