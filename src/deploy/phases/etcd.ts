/**
 * etcd: config and unit on every member, then all members started together: a member blocks in
 * `systemctl start` until quorum (Type=notify), so each is started with --no-block and the
 * classic guide's checks (`etcdctl endpoint health` / `endpoint status` through the
 * healthcheck-client certificate) run afterwards for the whole cluster and print a table.
 * Members whose deployed certificates had expired are said so and restarted whatever changed
 * at once, in the phase's own pass, so all of them together (_expired.ts). A member new to a
 * running cluster is added as a learner before it starts and promoted once in sync (_etcd-join.ts).
 */
import type { Phase } from '../phase.js';
import { gatherRunnable, serviceSteps, verifyUnitFiles } from './_units.js';
import { unitBinaries } from './_artifacts.js';
import { etcdReport } from './_etcd-health.js';
import { ETCD_ROLLING } from './_rolling.js';
import { expiryWarnings, phaseExpiry, restartForExpiry } from './_expired.js';
import { joinSteps, withJoin } from './_etcd-join.js';

/** Installs and starts etcd members. */
export const etcd: Phase = {
  id: 'etcd',
  title: 'Install etcd',
  hosts: (plan) => plan.hosts.filter((h) => h.host.roles.includes('etcd')),
  gather: (host, { host: planned, facts }, ctx) => gatherRunnable(host, facts, [...unitBinaries(planned, 'etcd').values()], ctx),
  check: (input) => expiryWarnings(phaseExpiry(input, 'etcd')),
  plan: (input) => withJoin(restartForExpiry(serviceSteps(input.host, 'etcd', input.facts, true), phaseExpiry(input, 'etcd')), joinSteps(input.plan, input.host)),
  verify: (host, { host: planned, changedPaths }, ctx) => verifyUnitFiles(host, planned, 'etcd', ctx, changedPaths ?? new Set()),
  report: etcdReport,
  rolling: ETCD_ROLLING,
};
