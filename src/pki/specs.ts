/**
 * Catalogue x inventory -> the concrete certificates the cluster needs (CertSpec), with subjects,
 * SANs and validity resolved. Pure; reconcile and issue work on these.
 */
import { hostsWithRole, type Inventory, type InventoryHost } from '../inventory/types.js';
import type { CertProfile, PkiCatalogue, Usage } from './profile-types.js';
import { resolveSans, type Sans } from './sans.js';

/** One concrete certificate (or the service-account key pair) the cluster needs. */
export interface CertSpec {
  /** "apiserver", "etcd-server@master01". */
  readonly id: string;
  readonly profile: CertProfile;
  readonly host?: InventoryHost;
  readonly kind: CertProfile['kind'];
  /** Id of the signing CA spec (leaves only). */
  readonly signer?: string;
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly usages: readonly Usage[];
  readonly sans: Sans;
  readonly validityDays: number;
}

/** The RBAC group admin-style client certs carry (pki.adminIdentity; see pki/README.md). */
export function adminGroup(inv: Inventory): string {
  return inv.pki.adminIdentity === 'system-masters' ? 'system:masters' : 'kubeadm:cluster-admins';
}

function fill(template: string, inv: Inventory, host: InventoryHost | undefined): string {
  return template
    .replaceAll('{{host.name}}', host?.name ?? '')
    .replaceAll('{{pki.adminGroup}}', adminGroup(inv))
    .replaceAll('{{paths.etcd}}', inv.paths.etcd)
    .replaceAll('{{paths.kubernetes}}', inv.paths.kubernetes);
}

/** Fills {{paths.*}} (and other) placeholders in a catalogue path. */
export function fillPath(template: string, inv: Inventory): string {
  return fill(template, inv, undefined);
}

function specFor(p: CertProfile, inv: Inventory, host?: InventoryHost): CertSpec {
  return {
    id: host ? `${p.id}@${host.name}` : p.id,
    profile: p,
    ...(host ? { host } : {}),
    kind: p.kind,
    ...(p.signer !== undefined ? { signer: p.signer } : {}),
    commonName: fill(p.commonName, inv, host),
    organizations: p.organizations.map((o) => fill(o, inv, host)),
    usages: p.usages,
    sans: resolveSans(p.sans, inv, host),
    validityDays: p.validityDays ?? (p.kind === 'ca' ? inv.pki.caValidityDays : inv.pki.leafValidityDays),
  };
}

/** Every certificate the inventory needs, CAs first. Entries whose `when` does not hold are left out. */
export function certSpecs(cat: PkiCatalogue, inv: Inventory): readonly CertSpec[] {
  return cat.profiles
    .filter((p) => p.when === undefined || p.when.adminIdentity === inv.pki.adminIdentity)
    .flatMap((p) => (p.perHost ? hostsWithRole(inv, p.perHost).map((h) => specFor(p, inv, h)) : [specFor(p, inv)]));
}
