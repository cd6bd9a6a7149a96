/**
 * What the scale bench's real and recorded fleets share: the inventory settings (a pod network
 * large enough for 5,000 nodes, the host fan-out) and the recording fleet's hosts. The simulated
 * fleet keeps the recording's three control-plane hosts (names and addresses) and clones its one
 * worker, so every answer a control-plane host gave is replayed as recorded.
 */
import type { InventoryExtra } from '../../test/hosts/apply-env.js';

/** Hosts worked on at once (inventory concurrency.hosts) and uploads in flight, in every scale run. */
export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);

/** The inventory lines the scale runs add to apply-env's. */
export const SCALE_INVENTORY: InventoryExtra = {
  cluster: ['serviceCIDR: 10.96.0.0/16', 'podCIDR: 10.128.0.0/9'],
  top: ['concurrency:', `  hosts: ${CONCURRENCY}`, `  uploads: ${CONCURRENCY}`],
};

/** The recording fleet: three control-plane + etcd hosts and the worker every simulated worker copies. */
export const RECORD_HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'cp2', roles: ['etcd', 'control-plane'] },
  { name: 'cp3', roles: ['etcd', 'control-plane'] },
  { name: 'rec-wk1', roles: ['worker'] },
] as const;

/** The recorded worker (its name and address are placeholders in the fixture). */
export const RECORDED_WORKER = 'rec-wk1';

/** Where the recorded answers live (committed). */
export const FIXTURE = new URL('./fixtures/recorded-fleet.json', import.meta.url).pathname;
