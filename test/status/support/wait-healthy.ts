/** Waits until every member of a test etcd cluster is healthy and one leads (60 s), through collectEtcd. */
import { collectEtcd, type EtcdctlPaths } from '../../../src/status/etcd.js';

export async function waitForHealthyEtcd(targets: () => Parameters<typeof collectEtcd>[0], paths: EtcdctlPaths): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await collectEtcd(targets(), paths);
    if (rows.every((r) => r.healthy) && rows.some((r) => r.isLeader)) return;
    if (Date.now() > deadline) throw new Error(`etcd did not become healthy: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
