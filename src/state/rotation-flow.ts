/**
 * The I/O around a staged CA rotation: load the PKI state, run one step (src/pki/rotation-steps.ts)
 * with Node's clock, entropy and keys, and save it atomically (backup first). `apply` calls
 * recordRotationApplied once a full run succeeded on every host, which is what lets the next
 * `--continue` go ahead.
 */
import type { Inventory } from '../inventory/types.js';
import type { IdentityName } from '../pki/identity.js';
import type { PkiSources } from '../pki/issue.js';
import type { AppliedRotation, ContinueOptions } from '../pki/rotation.js';
import { appliedWrite, continueRotation, startRotation, type RotationStep } from '../pki/rotation-steps.js';
import { loadCatalogue } from './load-catalogue.js';
import { NODE_PKI_SOURCES } from './pki-flow.js';
import { loadPkiState, savePkiState } from './pki-store.js';

/** `pki rotate-ca NAME`: stage 1, saved (after its backup). */
export async function startCaRotation(inv: Inventory, dir: string, name: IdentityName, sources: PkiSources = NODE_PKI_SOURCES): Promise<RotationStep> {
  const step = await startRotation(inv, loadCatalogue(), loadPkiState(dir), sources, name);
  savePkiState(dir, step.writes, step.backup);
  return step;
}

/** `pki rotate-ca NAME --continue`: stage 2 or 3, saved (stage 2 after its backup). */
export async function continueCaRotation(inv: Inventory, dir: string, name: IdentityName, opts: ContinueOptions, sources: PkiSources = NODE_PKI_SOURCES): Promise<RotationStep> {
  const step = await continueRotation(inv, loadCatalogue(), loadPkiState(dir), sources, name, opts);
  savePkiState(dir, step.writes, step.backup);
  return step;
}

/** Marks the rotation stage `applied` as rolled out; false when the state moved on meanwhile. */
export function recordRotationApplied(dir: string, applied: AppliedRotation, at: Date): boolean {
  const write = appliedWrite(loadPkiState(dir), applied, at);
  if (write) savePkiState(dir, [write]);
  return write !== undefined;
}
