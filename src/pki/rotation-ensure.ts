/**
 * How ensurePki (every command that loads the PKI) takes a rotation into account: it reads the
 * record, refuses `--new-ca` for the identity being rotated, hands stage 2 its new CA or key pair
 * instead of minting one, and checks that the record fits the state it produced. Pure.
 */
import { PkiError } from '../shared/errors.js';
import { certFingerprint, publicKeyFingerprint, type IdentityName } from './identity.js';
import { parseRotation, rotationActive, ROTATION_FILE, type CaRotation } from './rotation-record.js';
import { nextStep, stageText } from './rotation.js';
import type { PkiState } from './state-types.js';
import { checkRotationFits } from './trust-bundle.js';
import type { PkiBundle } from './types.js';

/** Stage 2 of a rotation: the new CA (certificate and key) or service-account key that takes over. */
export interface RotateTo {
  readonly name: IdentityName;
  /** The new CA certificate; absent for the service-account key. */
  readonly certPem?: string;
  readonly keyPem: string;
  readonly publicPem?: string;
}

/** The rotation options of ensurePki. */
export interface RotationOptions {
  readonly rotateTo?: RotateTo;
  /** The record to use instead of the state's (the stage `pki rotate-ca` is about to save). */
  readonly rotation?: CaRotation;
}

/** The state's record, or the caller's; a damaged record throws (rotation-record.ts). */
export function rotationOf(state: PkiState, opts: RotationOptions): CaRotation | undefined {
  if (opts.rotation !== undefined) return opts.rotation;
  return state.rotationJson === undefined ? undefined : parseRotation(state.rotationJson, `${state.dir}/${ROTATION_FILE}`);
}

/** `pki generate --new-ca NAME` while NAME is being rotated would cut the rotation off: refused. */
export function guardNewCa(newCa: readonly IdentityName[], rotation: CaRotation | undefined, opts: RotationOptions, dir: string, inventoryFile: string): void {
  if (!rotationActive(rotation)) return;
  const clash = newCa.find((n) => n === rotation.name && opts.rotateTo?.name !== n);
  if (clash === undefined) return;
  const step = nextStep(rotation, inventoryFile) ?? '';
  throw new PkiError(`pki generate --new-ca ${clash}: ${clash} is being rotated (${stageText(rotation.stage)}, ${dir}/${ROTATION_FILE})`, {
    hint: `a replacement now would drop the trust bundles the hosts are moving through and cut them off. Finish the rotation instead; its next step is \`${step}\` (then \`pki rotate-ca ${clash} --continue\` and apply until stage 3 is rolled out); nothing was written`,
  });
}

/** The fingerprint of what signs now: the state's CA certificate, or its service-account public key. */
export function signingFingerprint(bundle: Pick<PkiBundle, 'certs' | 'serviceAccount'>, name: IdentityName): string | undefined {
  if (name === 'service-account') return publicKeyFingerprint(bundle.serviceAccount.publicPem);
  const pem = bundle.certs.get(name)?.certPem;
  return pem === undefined ? undefined : certFingerprint(pem);
}

/** The record, checked against the bundle it will describe (trust-bundle.ts checkRotationFits). */
export function fittedRotation(rotation: CaRotation | undefined, bundle: Pick<PkiBundle, 'certs' | 'serviceAccount'>, dir: string): CaRotation | undefined {
  if (rotation === undefined) return undefined;
  checkRotationFits(rotation, signingFingerprint(bundle, rotation.name), dir);
  return rotation;
}
