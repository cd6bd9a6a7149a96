/**
 * What each `pki rotate-ca` step changes in the PKI state, as data: the files to write and the
 * backup to take first. Key generation comes in through PkiSources; src/state/rotation-flow.ts
 * loads the state and saves the result (one atomic save per step, so an interrupted step leaves
 * either the previous stage or the next, never a mix).
 */
import type { Inventory } from '../inventory/types.js';
import { PkiError } from '../shared/errors.js';
import { ensurePki, type EnsureResult } from './ensure.js';
import { certFingerprint, publicKeyFingerprint, type IdentityName } from './identity.js';
import { backupFor, identityGuard, type PkiBackup } from './identity-plan.js';
import { issueCa, issueKeypair, type PkiSources } from './issue.js';
import type { PkiCatalogue } from './profile-types.js';
import { rotationOf, signingFingerprint } from './rotation-ensure.js';
import { ROTATION_FILE, serializeRotation, type CaRotation } from './rotation-record.js';
import { advanceRotation, checkStart, markApplied, stageOne, type AppliedRotation, type ContinueOptions } from './rotation.js';
import { certSpecs } from './specs.js';
import type { PkiState, PkiWrite } from './state-types.js';

/** One step's outcome: the record after it, what to save, and the PKI as it will be. */
export interface RotationStep {
  readonly rotation: CaRotation;
  readonly writes: readonly PkiWrite[];
  readonly backup?: PkiBackup;
  /** The PKI after the step (decisions list what stage 2 re-issued). */
  readonly pki: EnsureResult;
}

/** rotation.json as a state write: 0600, it holds the new key during stage 1. */
export function rotationWrite(r: CaRotation): PkiWrite {
  return { name: ROTATION_FILE, content: serializeRotation(r), secret: true };
}

/** Stage 1: a new CA (or key pair) beside the old one, which keeps signing; the old one is backed up first. */
export async function startRotation(inv: Inventory, catalogue: PkiCatalogue, state: PkiState, sources: PkiSources, name: IdentityName): Promise<RotationStep> {
  checkStart(name, rotationOf(state, {}), inv.source);
  const pki = await ensurePki(inv, catalogue, state, sources); // refuses a broken or foreign state before anything is made
  const current = signingFingerprint(pki.bundle, name);
  const issuedNow = pki.decisions.some((d) => d.id === name && d.action !== 'keep');
  if (current === undefined || issuedNow) {
    throw new PkiError(`pki rotate-ca ${name}: the state has no ${name} yet, so there is nothing to rotate`, { hint: `run \`kubesmith pki generate -i ${inv.source}\` (or apply) first; nothing was written` });
  }
  if (name !== 'service-account' && pki.bundle.certs.get(name)?.keyPem === undefined) {
    throw new PkiError(`pki rotate-ca ${name}: ${name} is kept offline (keyless mode)`, {
      hint: 'kubesmith would put the new CA key into the state directory; rotate an offline CA with your external CA process and place the new certificates in the state; nothing was written',
    });
  }
  const now = sources.clock.now();
  const alg = inv.pki.keyAlgorithm;
  let next: { pem: string; keyPem: string; fingerprint: string };
  let old: { pem: string; fingerprint: string };
  if (name === 'service-account') {
    const kp = await issueKeypair(alg, sources);
    next = { pem: kp.publicPem, keyPem: kp.privatePem, fingerprint: publicKeyFingerprint(kp.publicPem) };
    old = { pem: pki.bundle.serviceAccount.publicPem, fingerprint: current };
  } else {
    const spec = certSpecs(catalogue, inv).find((s) => s.id === name);
    if (!spec) throw new PkiError(`pki rotate-ca ${name}: the catalogue has no CA "${name}"`);
    const ca = await issueCa(spec, (await sources.keys.generate(alg)).privateKeyPem, sources);
    next = { pem: ca.certPem, keyPem: ca.keyPem, fingerprint: certFingerprint(ca.certPem) };
    old = { pem: pki.bundle.certs.get(name)!.certPem, fingerprint: current };
  }
  const guard = identityGuard(catalogue, state, [name]);
  const base = backupFor(state, guard, certSpecs(catalogue, inv), now);
  const backup = base && state.rotationJson !== undefined ? { ...base, files: [...base.files, { name: ROTATION_FILE, content: state.rotationJson, secret: true }] } : base;
  const rotation = stageOne(name, { pem: old.pem, fingerprint: old.fingerprint }, { pem: next.pem, fingerprint: next.fingerprint }, next.keyPem, backup?.dir ?? '', now);
  return { rotation, writes: [rotationWrite(rotation)], ...(backup ? { backup } : {}), pki: { ...pki, bundle: { ...pki.bundle, rotation } } };
}

/**
 * Stage 2 (the new one signs: every leaf it must sign is re-issued, through the same path as
 * `--new-ca`, with a backup) or stage 3 (only the record changes: the bundles drop the old one).
 */
export async function continueRotation(inv: Inventory, catalogue: PkiCatalogue, state: PkiState, sources: PkiSources, name: IdentityName, opts: ContinueOptions): Promise<RotationStep> {
  const prev = rotationOf(state, {});
  const rotation = advanceRotation(prev, name, sources.clock.now(), opts);
  if (rotation.stage === 3) {
    const pki = await ensurePki(inv, catalogue, state, sources, { rotation });
    return { rotation, writes: [rotationWrite(rotation)], pki };
  }
  const key = prev?.nextKeyPem;
  if (key === undefined) throw new PkiError(`${state.dir}/${ROTATION_FILE}: stage 1 has no new key`, { hint: 'restore the record from pki/backup/; nothing was written' });
  const rotateTo = name === 'service-account' ? { name, keyPem: key, publicPem: rotation.next.pem } : { name, certPem: rotation.next.pem, keyPem: key };
  const pki = await ensurePki(inv, catalogue, state, sources, { newCa: [name], rotateTo, rotation });
  // Stage 2 goes through the --new-ca path of ensurePki; its decisions say which command did it.
  const decisions = pki.decisions.map((d) => ({ ...d, reason: d.reason.replace('replaced on request (--new-ca); the old one is backed up', 'the new CA of the rotation takes over signing; the old one is backed up').replace('replaced on request (--new-ca); the old key pair is backed up', 'the new key of the rotation takes over signing; the old pair is backed up').replace('being replaced (--new-ca)', 'rotated (stage 2)') }));
  return { rotation, writes: [...pki.writes, rotationWrite(rotation)], ...(pki.backup ? { backup: pki.backup } : {}), pki: { ...pki, decisions } };
}

/** After a full, successful apply: the record's write with the stage marked rolled out, if it still applies. */
export function appliedWrite(state: PkiState, applied: AppliedRotation, now: Date): PkiWrite | undefined {
  const marked = markApplied(rotationOf(state, {}), applied, now);
  return marked && rotationWrite(marked);
}
