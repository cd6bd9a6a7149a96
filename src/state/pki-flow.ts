/**
 * The I/O wrapper around ensurePki for commands (`pki generate`, `plan`, `apply`): load the catalogue
 * and state dir, decide and issue with Node's clock, entropy and keys, save atomically.
 */
import type { Inventory } from '../inventory/types.js';
import { ensurePki, type EnsureResult } from '../pki/ensure.js';
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
export async function generatePki(inv: Inventory, dir: string = pkiStateDir(inv), opts: { persist?: boolean; sources?: PkiSources } = {}): Promise<EnsureResult> {
  const r = await ensurePki(inv, loadCatalogue(), loadPkiState(dir), opts.sources ?? NODE_PKI_SOURCES);
  if (opts.persist !== false) savePkiState(dir, r.writes);
  return r;
}
