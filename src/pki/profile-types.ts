/** The certificate catalogue's shape (pki/profiles.yaml after validation). Types only. */
import type { AdminIdentity, Role } from '../inventory/types.js';

/** Named SAN sources; resolved against the inventory by sans.ts. */
export type SanSource =
  | 'host.name'
  | 'host.internalIP'
  | 'localhost'
  | 'loopback.ipv4'
  | 'loopback.ipv6'
  | 'apiserver.defaultNames'
  | 'apiserver.serviceIP'
  | 'apiserver.vip'
  | 'apiserver.extraSANs'
  | 'controlPlane.names'
  | 'controlPlane.ips';

/** Every SAN source name, for validation. */
export const SAN_SOURCES: readonly SanSource[] = [
  'host.name',
  'host.internalIP',
  'localhost',
  'loopback.ipv4',
  'loopback.ipv6',
  'apiserver.defaultNames',
  'apiserver.serviceIP',
  'apiserver.vip',
  'apiserver.extraSANs',
  'controlPlane.names',
  'controlPlane.ips',
];

/** Extended key usages a catalogue entry may request. */
export type Usage = 'serverAuth' | 'clientAuth';

/** One install target of a catalogue entry: which roles get which files (paths may use {{paths.*}}). */
export interface InstallEntry {
  readonly roles: readonly Role[];
  readonly cert?: string;
  readonly key?: string;
  readonly publicKey?: string;
}

/** One entry of pki/profiles.yaml. */
export interface CertProfile {
  readonly id: string;
  readonly kind: 'ca' | 'leaf' | 'keypair';
  /** Leaf only: the id of a `ca` entry. */
  readonly signer?: string;
  /** Leaf only: one certificate per host with this role. */
  readonly perHost?: Role;
  readonly when?: { readonly adminIdentity: AdminIdentity };
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly usages: readonly Usage[];
  readonly sans: readonly SanSource[];
  readonly validityDays?: number;
  readonly install: readonly InstallEntry[];
  readonly restarts: readonly string[];
  readonly purpose: string;
  /** 1-based line in profiles.yaml, for messages. */
  readonly line: number;
}

/** The validated catalogue, CAs before leaves (topological order). */
export interface PkiCatalogue {
  readonly source: string;
  readonly profiles: readonly CertProfile[];
}
