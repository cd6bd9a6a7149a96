/**
 * `kubesmith status`'s look at the certificates on the hosts: the probe of `pki check --remote`
 * run on the SSH connections status already holds (one per etcd member), so it costs no new
 * connection, only one more command per member beside the etcd probe. Hosts status does not
 * connect to (workers, control-plane hosts reached through API tunnels only) are left to
 * `kubesmith pki check --remote`.
 */
import type { HostReader } from '../deploy/ssh/connection.js';
import type { Inventory } from '../inventory/types.js';
import { remoteRows } from '../pki/remote/rows.js';
import { remoteCertSection } from '../status/remote-certs.js';
import type { RemoteCertSection } from '../status/types.js';
import { remoteCertPlan } from './remote-cert-plan.js';
import { probeWithReader } from './remote-cert-probe.js';

/** The section for the hosts in `readers`; rejects when the state cannot be planned (collect turns that into an error line). */
export async function remoteCertsOn(inv: Inventory, readers: ReadonlyMap<string, HostReader>, now: Date, warnDays: number, signal?: AbortSignal): Promise<RemoteCertSection> {
  const plan = remoteCertPlan(inv, [...readers.keys()]);
  const answers = await Promise.all(plan.targets.map((t) => probeWithReader(t, readers.get(t.host) as HostReader, signal)));
  const { rows } = remoteRows(plan.targets, answers, plan.cas, now);
  const answered = answers.filter((a) => 'observation' in a).map((a) => a.host);
  return remoteCertSection(rows, answered, inv.hosts.length, warnDays);
}
