/**
 * The PKI bundle exactly as the state directory holds it, for `pki check --remote` to build the
 * plan from. Unlike ensurePki it issues nothing and renews nothing: a certificate inside its
 * renewal window must be compared as it is stored, not as `apply` would re-issue it, or every
 * host would read "differs from state". Pure. It carries the identity record (cluster.json), so
 * a plan built from it renders the etcd config as apply does (what each member first started on).
 */
import type { Inventory } from '../../inventory/types.js';
import { join } from 'node:path';
import { PkiError } from '../../shared/errors.js';
import { IDENTITY_FILE, parseIdentity } from '../identity.js';
import type { PkiCatalogue } from '../profile-types.js';
import { fittedRotation, rotationOf } from '../rotation-ensure.js';
import { certSpecs } from '../specs.js';
import type { PkiState } from '../state-types.js';
import type { BootstrapToken, CertMaterial, PkiBundle } from '../types.js';

/**
 * The bootstrap token is no certificate: the bootstrap kubeconfig is compared by its CA field only,
 * so a fixed stand-in keeps the state's token file out of this read (it is a secret).
 */
const NO_TOKEN: BootstrapToken = { id: '000000', secret: '0000000000000000', expires: new Date(0) };

/** The state's certificates as a bundle; throws a PkiError naming every certificate the plan needs and the state lacks. */
export function bundleFromState(inv: Inventory, catalogue: PkiCatalogue, state: PkiState): PkiBundle {
  const certs = new Map<string, CertMaterial>();
  for (const [id, pair] of state.pairs) {
    if (pair.certPem !== undefined) certs.set(id, { id, certPem: pair.certPem, ...(pair.keyPem !== undefined ? { keyPem: pair.keyPem } : {}) });
  }
  const missing = certSpecs(catalogue, inv)
    .filter((s) => s.kind !== 'keypair' && !certs.has(s.id))
    .map((s) => s.id);
  if (missing.length > 0) {
    throw new PkiError(`${state.dir}: the PKI state has no certificate for ${missing.join(', ')}`, {
      hint: '`pki check --remote` compares hosts with the state; `kubesmith pki check` shows the state itself, `kubesmith pki generate` issues what is missing',
    });
  }
  const serviceAccount = { publicPem: state.serviceAccount.publicPem ?? '', privatePem: state.serviceAccount.privatePem ?? '' };
  // A staged CA rotation puts old + new into the trust bundles (trust-bundle.ts): compare with those.
  const rotation = fittedRotation(rotationOf(state, {}), { certs, serviceAccount }, state.dir);
  // The identity record too: it says what each etcd member first started on, which the etcd config renders.
  const identity = state.identityJson === undefined ? undefined : parseIdentity(state.identityJson, join(state.dir, IDENTITY_FILE));
  return { algorithm: inv.pki.keyAlgorithm, certs, serviceAccount, bootstrapToken: NO_TOKEN, catalogue, ...(rotation ? { rotation } : {}), ...(identity ? { identity } : {}) };
}

/**
 * The CAs that may have signed what hosts hold, by name: the state's CAs and, during a rotation,
 * the other root of the rotated CA ("kubernetes-ca (old)" in stage 2, "(next)" in stage 1), which
 * the trust bundles still (or already) trust.
 */
export function signerCas(inv: Inventory, bundle: PkiBundle): ReadonlyMap<string, string> {
  const cas = new Map<string, string>();
  for (const s of certSpecs(bundle.catalogue, inv)) {
    const pem = s.kind === 'ca' ? bundle.certs.get(s.id)?.certPem : undefined;
    if (pem !== undefined) cas.set(s.id, pem);
  }
  const r = bundle.rotation;
  if (r !== undefined && r.stage !== 3 && cas.has(r.name)) cas.set(`${r.name} (${r.stage === 1 ? 'next' : 'old'})`, r.stage === 1 ? r.next.pem : r.old.pem);
  return cas;
}
