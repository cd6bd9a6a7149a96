/**
 * The I/O wrapper around ensurePki for commands (`pki generate`, `plan`, `apply`): load the catalogue
 * and state dir, decide and issue with Node's clock, entropy and keys, save atomically.
 */
import type { Inventory } from '../inventory/types.js';
import { join } from 'node:path';
import { ensurePki, type EnsureOptions, type EnsureResult } from '../pki/ensure.js';
import { IDENTITY_FILE, parseIdentity, serializeIdentity, withDeployment, withEtcdMembers, withoutEtcdMember, withVersions, type ClusterIdentity, type DeployedVersions, type EtcdBootstrap } from '../pki/identity.js';
import type { PkiSources } from '../pki/issue.js';
import { loadCatalogue } from './load-catalogue.js';
import { NodeClock, NodeEntropy, NodeKeySource } from './node-sources.js';
import { loadPkiState, pkiStateDir, savePkiState } from './pki-store.js';

/** Node's clock, CSPRNG and async key generation. */
export const NODE_PKI_SOURCES: PkiSources = { clock: NodeClock, entropy: NodeEntropy, keys: NodeKeySource };

/**
 * Brings the state dir up to date and returns the bundle. With `persist: false` (plan, dry-run) the
 * decisions and bundle are computed but nothing is written.
 */
export async function generatePki(inv: Inventory, dir: string = pkiStateDir(inv), opts: { persist?: boolean; sources?: PkiSources } & EnsureOptions = {}): Promise<EnsureResult> {
  const r = await ensurePki(inv, loadCatalogue(), loadPkiState(dir), opts.sources ?? NODE_PKI_SOURCES, opts.newCa ? { newCa: opts.newCa } : {});
  if (opts.persist !== false) savePkiState(dir, r.writes, r.backup);
  return r;
}

/**
 * Notes the first deployment in the identity record (apply, once the run is past preflight): from
 * then on a missing CA or sa.key is refused even if no leaf is left to show it was in use.
 */
export function recordDeployment(dir: string, at: Date): void {
  const state = loadPkiState(dir);
  if (state.identityJson === undefined) return; // ensurePki wrote one before apply got here; nothing to note otherwise
  const prev = parseIdentity(state.identityJson, join(dir, IDENTITY_FILE));
  const next = withDeployment(prev, at);
  if (next !== prev) savePkiState(dir, [{ name: IDENTITY_FILE, content: serializeIdentity(next), secret: false }]);
}

/**
 * Notes etcd members apply started, with the values they first started on (render/etcd-membership.ts):
 * from then on they are rendered from the record, and an inventory member not in it joins.
 */
export function recordEtcdMembers(dir: string, members: ReadonlyMap<string, EtcdBootstrap>): void {
  if (members.size > 0) updateIdentity(dir, (id) => withEtcdMembers(id, members));
}

/** Drops a removed etcd member from the record (`kubesmith remove`): added again later, it joins. */
export function forgetEtcdMember(dir: string, name: string): void {
  updateIdentity(dir, (id) => withoutEtcdMember(id, name));
}

/** Notes the versions a full, successful apply left on every host: the next upgrade is checked against them. */
export function recordVersions(dir: string, versions: DeployedVersions): void {
  updateIdentity(dir, (id) => withVersions(id, versions));
}

function updateIdentity(dir: string, change: (id: ClusterIdentity) => ClusterIdentity): void {
  const state = loadPkiState(dir);
  if (state.identityJson === undefined) return;
  const prev = parseIdentity(state.identityJson, join(dir, IDENTITY_FILE));
  const next = change(prev);
  if (next !== prev) savePkiState(dir, [{ name: IDENTITY_FILE, content: serializeIdentity(next), secret: false }]);
}
