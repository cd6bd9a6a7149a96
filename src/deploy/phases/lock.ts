/**
 * lock: hold `flock /run/lock/kubesmith.lock` on a dedicated SSH channel on EVERY host of the run.
 * Why every host and not just the first control-plane host: `--limit` runs may not touch that
 * host at all, and two runs with disjoint limits must still not race on a shared host. The lock
 * lives exactly as long as the channel, so a killed client frees it when sshd drops the
 * connection. Dry-run takes no lock (a lock is a write).
 */
import type { Phase } from '../phase.js';

/** Runner builtin: any host already locked stops the whole run. */
export const lock: Phase = {
  id: 'lock',
  title: 'Lock',
  always: true,
  gate: true,
  builtin: 'lock',
  hosts: (plan) => plan.hosts,
  plan: () => [],
};
