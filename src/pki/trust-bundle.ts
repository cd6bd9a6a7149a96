/**
 * Trust bundles: what a host or a kubeconfig trusts for a CA (or the service-account public key)
 * while a rotation is in progress, as concatenated PEMs. Without a rotation of that name the
 * bundle is exactly the state's one PEM, byte for byte, so nothing renders differently. Pure.
 *
 * Order: the one that signs now comes first (stage 1 the old, stage 2 the new), then the other.
 * Go's and OpenSSL's verifiers try every certificate of a bundle, and the leaves' authority key
 * identifier picks the right one, so the order only matters to a human reading the file.
 */
import { PkiError } from '../shared/errors.js';
import { certFingerprint, publicKeyFingerprint, type IdentityName } from './identity.js';
import { rotationComplete, ROTATION_FILE, type CaRotation } from './rotation-record.js';
import type { PkiBundle } from './types.js';

const withNewline = (pem: string): string => (pem.endsWith('\n') ? pem : `${pem}\n`);

/** The PEMs trusted for `name`, signing one first; `current` is the state's own (signing) PEM. */
export function trustedPems(rotation: CaRotation | undefined, name: IdentityName, current: string): readonly string[] {
  if (rotation === undefined || rotation.name !== name || rotation.stage === 3) return [current];
  return rotation.stage === 1 ? [current, rotation.next.pem] : [current, rotation.old.pem];
}

/** `trustedPems` as one file's text; exactly `current` when only one is trusted. */
export function trustText(rotation: CaRotation | undefined, name: IdentityName, current: string): string {
  const pems = trustedPems(rotation, name, current);
  return pems.length === 1 ? current : pems.map(withNewline).join('');
}

/** What a host's copy of CA `caId` (or sa.pub, for "service-account") holds. */
export function trustPemOf(bundle: PkiBundle, caId: string): string {
  if (caId === 'service-account') return trustText(bundle.rotation, 'service-account', bundle.serviceAccount.publicPem);
  const pem = bundle.certs.get(caId)?.certPem;
  if (pem === undefined) throw new PkiError(`the PKI bundle has no certificate "${caId}"`, { hint: 'run `kubesmith pki generate`' });
  return trustText(bundle.rotation, caId as IdentityName, pem);
}

/** True while `name`'s trust bundle holds more than the signing root (stages 1 and 2). */
export function holdsTwo(bundle: Pick<PkiBundle, 'rotation'>, name: IdentityName): boolean {
  const r = bundle.rotation;
  return r !== undefined && r.name === name && r.stage !== 3;
}

/** Every PEM block of a text (a trust bundle), in order. */
export function pemBlocks(text: string): readonly string[] {
  return text.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----\n?/g) ?? [];
}

/** Fingerprints of every block of a certificate bundle or public-key bundle (identity.ts format). */
export function bundleFingerprints(name: IdentityName, text: string): readonly string[] {
  return pemBlocks(text).map((b) => (name === 'service-account' ? publicKeyFingerprint(b) : certFingerprint(b)));
}

/**
 * Refuses a rotation record that does not fit the state: stage 1 must still sign with the old
 * root, stages 2 and 3 with the new one. Anything else means the state or the record was replaced
 * by hand (a restored backup, a `--new-ca`), and the bundles would strand hosts.
 */
export function checkRotationFits(r: CaRotation, currentFingerprint: string | undefined, dir: string): void {
  if (rotationComplete(r)) return; // history: whatever happened to the state later is not this rotation's business
  const want = r.stage === 1 ? r.old.fingerprint : r.next.fingerprint;
  if (currentFingerprint === want) return;
  throw new PkiError(`${dir}/${ROTATION_FILE}: the ${r.name} in the state is not the one the rotation expects at stage ${r.stage}`, {
    detail: [`in the state:        ${currentFingerprint ?? '(none)'}`, `the rotation expects: ${want} (${r.stage === 1 ? 'the old one, which signs until stage 2' : 'the new one'})`],
    hint: `restore the state that matches the record (both are in the backups under ${dir}/backup/), or put back the record that matches the state; nothing was written`,
  });
}
