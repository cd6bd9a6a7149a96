/**
 * Certificates that have already expired on the hosts (issue #12 part 3: recovering a cluster whose
 * certificates all expired). gather-facts reads, before any phase writes, every certificate a
 * service runs on (watchedCerts): the certificate files and kubeconfig client certificates the
 * plan ships with a restart, and the kubelet's own client certificate. The parser keeps those whose
 * notAfter has passed by the host's own clock (HostFacts.expiredCerts). Pure.
 *
 * What follows (phases/_expired.ts): a unit that runs on an expired certificate serves nobody, so
 * it is restarted at once on the renewed files, never deferred to the rolling restart (whose
 * readiness checks would look at the broken old process first, and whose one-at-a-time order
 * cannot work when the members of a group all reject each other):
 * - etcd members with expired peer/server certificates reject each other and every client until
 *   restarted, so they restart together; with every member expired the whole cluster restarts at
 *   once (it has no quorum to protect). This holds even while expired members still look healthy
 *   on connections opened before the expiry, which a health-only decision would miss;
 * - kube-proxy, kube-controller-manager, kube-scheduler (kubeconfig client certificates) and
 *   kube-apiserver restart at once too;
 * - a running kubelet whose client certificate expired keeps using it (its certificate manager
 *   falls back to the bootstrap kubeconfig only when the process starts: LoadClientConfig in
 *   pkg/kubelet/certificate/bootstrap/bootstrap.go checks the expiry at start), so it must be
 *   restarted to re-bootstrap with the bootstrap token.
 */
import type { ClusterPlan, PlannedHost } from '../plan/types.js';
import { remoteLayout } from '../render/layout.js';

/** A deployed certificate whose expiry gather-facts reads, and the units that run on it. */
export interface WatchedCert {
  readonly path: string;
  /** "pem": the first CERTIFICATE block of the file; "kubeconfig": its client-certificate-data. */
  readonly format: 'pem' | 'kubeconfig';
  readonly units: readonly string[];
}

/** The kubelet's own client certificate (cert + key in one file; only the certificate is read). */
export function kubeletClientCertPath(plan: Pick<ClusterPlan, 'inventory'>): string {
  return `${remoteLayout(plan.inventory).kubeletCertDir}/kubelet-client-current.pem`;
}

/** Every certificate on `host` that a unit runs on: shipped files and kubeconfigs with restarts, and the kubelet's client certificate on nodes. */
export function watchedCerts(plan: ClusterPlan, host: PlannedHost): readonly WatchedCert[] {
  const out: WatchedCert[] = host.artifacts
    .filter((a) => (a.kind === 'cert' || a.kind === 'kubeconfig') && a.restarts.length > 0)
    .map((a) => ({ path: a.path, format: a.kind === 'kubeconfig' ? 'kubeconfig' : 'pem', units: a.restarts }));
  const roles = host.host.roles;
  if (roles.includes('worker') || roles.includes('control-plane')) out.push({ path: kubeletClientCertPath(plan), format: 'pem', units: ['kubelet.service'] });
  return out;
}

/** An expired certificate found on a host. */
export interface ExpiredCert {
  readonly path: string;
  readonly notAfter: Date;
}

/** The watched certificates of `host` that `unit` runs on and that had expired when gather-facts read them. */
export function expiredFor(plan: ClusterPlan, host: PlannedHost, expired: ReadonlyMap<string, Date> | undefined, unit: string): readonly ExpiredCert[] {
  if (!expired || expired.size === 0) return [];
  return watchedCerts(plan, host).flatMap((w) => {
    const notAfter = expired.get(w.path);
    return notAfter !== undefined && w.units.includes(unit) ? [{ path: w.path, notAfter }] : [];
  });
}

/** "peer.pem expired 2025-11-30T10:00:00Z, server.pem expired ...". */
export function describeExpired(certs: readonly ExpiredCert[]): string {
  return certs.map((c) => `${c.path.slice(c.path.lastIndexOf('/') + 1)} expired ${c.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z')}`).join(', ');
}
