/**
 * Before `etcd restore` touches a host: does every member's etcd server and peer certificate in
 * the state name the member's current address? A member whose host was replaced by one with a
 * new IP (inventory edited) needs them re-issued, which is `kubesmith pki generate`'s job
 * (reconcile re-issues leaves whose SANs no longer match). Restore issues nothing itself: it
 * reads the state and refuses, naming that command. Pure.
 */
import type { Inventory } from '../inventory/types.js';
import type { PkiCatalogue } from './profile-types.js';
import { driftReason, parseStored } from './reconcile.js';
import { certSpecs } from './specs.js';
import type { PkiState } from './state-types.js';

/** One certificate that does not fit its member. */
export interface EtcdCertMismatch {
  readonly id: string;
  readonly host: string;
  readonly reason: string;
}

/** Server and peer certificates of etcd members that are missing or whose name/SANs do not match the inventory. */
export function etcdCertMismatches(catalogue: PkiCatalogue, inv: Inventory, state: PkiState, now: Date): readonly EtcdCertMismatch[] {
  return certSpecs(catalogue, inv).flatMap((spec) => {
    const host = spec.host?.name;
    if (host === undefined || !/^etcd-(server|peer)@/.test(spec.id)) return [];
    const stored = parseStored(state, spec.id);
    if (!stored) return [{ id: spec.id, host, reason: 'not issued' }];
    const drift = driftReason(spec, stored.info, inv, now, undefined);
    // Expiry is apply's business (renewal window); only identity and addresses block a restore.
    return drift !== undefined && /^(SANs|subject)/.test(drift) ? [{ id: spec.id, host, reason: drift }] : [];
  });
}
