/**
 * The kubelet's own certificates as the host holds them, for approve-kubelet-csrs. CSRs and Node
 * objects cannot tell a kubelet that re-bootstrapped in this run from one still holding an expired
 * certificate: the Node object stays registered, and CSRs issued before the expiry are kept for an
 * hour (and Ready may still read True until the node lifecycle controller notices). So a node whose
 * client or serving certificate file on the host is expired is not done until the kubelet has
 * written a valid one; a missing file (a kubelet that never bootstrapped) leaves the decision to
 * the CSRs, as before.
 */
import type { ClusterPlan } from '../../plan/types.js';
import type { HostReader } from '../ssh/connection.js';
import type { PhaseContext } from '../phase.js';
import { remoteLayout } from '../../render/layout.js';
import { kubeletClientCertPath } from '../expired-certs.js';
import { leafCertsScript, parseLeafCerts } from './_facts.js';
import { kubeletCertsStale } from './_kubelet-rotation.js';

/** Which of the kubelet's certificates on one host are expired (true) right now. */
export interface KubeletCertExpiry {
  readonly client: boolean;
  readonly serving: boolean;
}

/** The kubelet's current serving certificate (serverTLSBootstrap: issued through a kubelet-serving CSR). */
export function kubeletServingCertPath(plan: Pick<ClusterPlan, 'inventory'>): string {
  return `${remoteLayout(plan.inventory).kubeletCertDir}/kubelet-server-current.pem`;
}

/** Reads both certificates (only the certificate blocks; the files hold the key too) in one round trip. */
export async function kubeletCertExpiry(reader: HostReader, plan: Pick<ClusterPlan, 'inventory'> & Partial<ClusterPlan>, ctx: PhaseContext): Promise<KubeletCertExpiry> {
  const client = kubeletClientCertPath(plan);
  const serving = kubeletServingCertPath(plan);
  const r = await reader.probe(['sh', '-c', leafCertsScript([client, serving])], { signal: ctx.signal, timeoutMs: 30_000 });
  // An unreadable answer means "nothing known": the CSRs decide, as without this check.
  const expired = r.exitCode === 0 ? parseLeafCerts(r.stdout, ctx.clock.now().getTime()) : new Map<string, Date>();
  // During a kubernetes CA rotation, a certificate of the wrong CA (or set aside) is not done either.
  const rotation = plan.pki ? await kubeletCertsStale(reader, { inventory: plan.inventory, pki: plan.pki }, ctx) : { client: false, serving: false };
  return { client: expired.has(client) || rotation.client, serving: expired.has(serving) || rotation.serving };
}

/**
 * Tracks the nodes whose kubelet certificates were expired on the host: `refresh()` re-reads only
 * those still expired, so a cluster whose kubelets hold valid certificates costs one read per node.
 */
export function expiredKubeletCerts(readers: ReadonlyMap<string, HostReader>, plan: Pick<ClusterPlan, 'inventory'> & Partial<ClusterPlan>, ctx: PhaseContext) {
  const stale = new Map<string, KubeletCertExpiry>();
  const read = async (nodes: readonly string[]): Promise<void> => {
    await Promise.all(
      nodes.map(async (n) => {
        const reader = readers.get(n);
        const e = reader ? await kubeletCertExpiry(reader, plan, ctx) : { client: false, serving: false };
        if (e.client || e.serving) stale.set(n, e);
        else stale.delete(n);
      }),
    );
  };
  return {
    /** Reads every node once. */
    start: (nodes: readonly string[]): Promise<void> => read(nodes),
    /** Re-reads the nodes still holding an expired certificate. */
    refresh: (): Promise<void> => read([...stale.keys()]),
    /** The node's expired certificates, or undefined when none is. */
    get: (node: string): KubeletCertExpiry | undefined => stale.get(node),
  };
}

/** The tracker expiredKubeletCerts returns. */
export type KubeletCertTracker = ReturnType<typeof expiredKubeletCerts>;
