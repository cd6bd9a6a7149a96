/**
 * Certificates that have already expired on the hosts (issue #12 part 3: recovering a cluster whose
 * certificates all expired). gather-facts reads, before any phase writes, the leaf certificates
 * whose expiry changes how apply restarts things (watchedCerts); the parser keeps those whose
 * notAfter has passed by the host's own clock (HostFacts.expiredCerts). Pure.
 *
 * Two decisions follow from them (phases/_expired.ts):
 * - etcd: members whose deployed peer/server certificates expired reject each other (and every
 *   client) until they are restarted on renewed ones, so they cannot be restarted one at a time
 *   behind a health gate: the first member restarted would wait for peers that still present
 *   expired certificates. The etcd rolling policy (phases/_rolling.ts, RollingRestart.together)
 *   puts them in a first wave restarted together, before any member whose certificates are still
 *   valid is rolled; with every member expired the whole cluster restarts at once (it has no
 *   quorum to protect). This holds even while the expired members still look healthy on
 *   connections opened before the expiry, which a health-only decision would miss.
 * - kubelet: a running kubelet whose client certificate expired keeps using it (its certificate
 *   manager falls back to the bootstrap kubeconfig only when the process starts: LoadClientConfig
 *   in pkg/kubelet/certificate/bootstrap/bootstrap.go checks the expiry at start), so it must be
 *   restarted to re-bootstrap with the bootstrap token.
 */
import type { ClusterPlan, PlannedHost } from '../plan/types.js';
import { fillPath } from '../pki/specs.js';
import { remoteLayout } from '../render/layout.js';
import { CERT } from '../render/credentials.js';

/** What a watched certificate is for. */
export type WatchedKind = 'etcd-peer' | 'etcd-server' | 'kubelet-client';

/** A deployed certificate file whose expiry gather-facts reads. */
export interface WatchedCert {
  readonly kind: WatchedKind;
  readonly path: string;
}

/** The kubelet's own client certificate (cert + key in one file; only the certificate is read). */
export function kubeletClientCertPath(plan: Pick<ClusterPlan, 'inventory'>): string {
  return `${remoteLayout(plan.inventory).kubeletCertDir}/kubelet-client-current.pem`;
}

/** The files to read on `host`: etcd's peer and server certificates on members, the kubelet's client certificate on nodes. */
export function watchedCerts(plan: ClusterPlan, host: PlannedHost): readonly WatchedCert[] {
  const out: WatchedCert[] = [];
  const roles = host.host.roles;
  if (roles.includes('etcd')) {
    for (const [id, kind] of [[CERT.etcdPeer, 'etcd-peer'], [CERT.etcdServer, 'etcd-server']] as const) {
      for (const e of plan.pki.catalogue.profiles.find((p) => p.id === id)?.install ?? []) {
        if (e.cert !== undefined && e.roles.includes('etcd')) out.push({ kind, path: fillPath(e.cert, plan.inventory) });
      }
    }
  }
  if (roles.includes('worker') || roles.includes('control-plane')) out.push({ kind: 'kubelet-client', path: kubeletClientCertPath(plan) });
  return out;
}

/** An expired certificate found on a host. */
export interface ExpiredCert {
  readonly kind: WatchedKind;
  readonly path: string;
  readonly notAfter: Date;
}

/** The watched certificates of `host` that had expired when gather-facts read them. */
export function expiredOn(plan: ClusterPlan, host: PlannedHost, expired: ReadonlyMap<string, Date> | undefined, kinds: readonly WatchedKind[]): readonly ExpiredCert[] {
  if (!expired) return [];
  return watchedCerts(plan, host).flatMap((w) => {
    const notAfter = expired.get(w.path);
    return notAfter !== undefined && kinds.includes(w.kind) ? [{ ...w, notAfter }] : [];
  });
}

/** "peer.pem expired 2025-11-30T10:00:00Z, server.pem expired ...". */
export function describeExpired(certs: readonly ExpiredCert[]): string {
  return certs.map((c) => `${c.path.slice(c.path.lastIndexOf('/') + 1)} expired ${c.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z')}`).join(', ');
}
