/**
 * How the API phases (cluster-bootstrap, approve-kubelet-csrs) reach the Kubernetes API: a client
 * to one control-plane host's apiserver, as the admin or the super-admin identity. Production
 * (src/cli/apply-api.ts) forwards over the run's SSH connection to that host's 127.0.0.1; tests
 * hand in a client to the fake apiserver. Also the "are the binaries real?" decision the phases
 * share with the readiness checks (_readiness.ts): a unit whose binary does not run was not started.
 */
import { hostsWithRole } from '../../inventory/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { HostFacts, PhaseContext } from '../phase.js';
import { unitBinaries, type ShippingPhase } from './_artifacts.js';
import { gatherRunnable } from './_units.js';

export { gatherRunnable };

/**
 * Which client certificate a call uses. With pki.adminIdentity cluster-admins the admin
 * (O=kubeadm:cluster-admins) has no rights until its ClusterRoleBinding exists, so that one binding
 * is created by the super-admin (O=system:masters), as `kubeadm init` does.
 */
export type ApiIdentity = 'admin' | 'super-admin';

/** An open client; close() releases its TLS agent (and any SSH connection opened for it). */
export interface ApiSession {
  readonly client: KubeClient;
  close(): Promise<void>;
}

/** Opens API sessions for the phases. */
export interface ApiAccess {
  /** A client to `host`'s apiserver as `identity`; throws when the host cannot be reached. */
  open(plan: ClusterPlan, host: string, identity: ApiIdentity, ctx: PhaseContext): Promise<ApiSession>;
}

/** Opens a session, runs `fn`, always closes it. */
export async function withApi<T>(access: ApiAccess, plan: ClusterPlan, host: string, identity: ApiIdentity, ctx: PhaseContext, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  const session = await access.open(plan, host, identity, ctx);
  try {
    return await fn(session.client);
  } finally {
    await session.close();
  }
}

/** The binary a unit of `phase` runs on `host` (e.g. kube-apiserver.service -> /usr/local/bin/kube-apiserver). */
export function unitBinary(host: PlannedHost, phase: ShippingPhase, unit: string): string | undefined {
  return unitBinaries(host, phase).get(unit);
}

/**
 * Why the API steps cannot run on this host, or undefined when they can: the same test the
 * service phases use to decide whether to start a unit (`<binary> --version` succeeded).
 */
export function notRunnableReason(host: PlannedHost, facts: HostFacts, phase: ShippingPhase, unit: string): string | undefined {
  const bin = unitBinary(host, phase, unit);
  if (bin === undefined) return `${host.host.name} has no ${unit}`;
  if (facts.runnable?.get(bin) === undefined) return `${bin} does not run (--version failed: a stub or missing binary), so ${unit} was not started`;
  return undefined;
}

/** The control-plane host the API phases talk through: the first one taking part in this run. */
export function apiHost(plan: ClusterPlan, activeHosts: readonly string[]): string | undefined {
  return hostsWithRole(plan.inventory, 'control-plane').map((h) => h.name).find((n) => activeHosts.includes(n));
}
