/**
 * Keyless mode end to end (#13 item 3): a CA certificate in the state dir without its key (an
 * offline CA, pki/README.md). Everything already issued under it is used as it is; what would need
 * the key is a `blocked` decision. These helpers say what that means for render, plan and apply,
 * so every command explains it the same way. Pure.
 */
import { PkiError } from '../shared/errors.js';
import { STATE_FILES } from './state-types.js';
import type { PkiBundle, PkiDecision } from './types.js';

/** The CA ids whose certificate is in the bundle without a key, in catalogue order. */
export function keylessCas(bundle: PkiBundle): readonly string[] {
  return bundle.catalogue.profiles.filter((p) => p.kind === 'ca' && bundle.certs.has(p.id) && bundle.certs.get(p.id)?.keyPem === undefined).map((p) => p.id);
}

/** True when a blocked leaf still has a certificate and key to render from (its decision is a renewal, not a gap). */
export function hasMaterial(bundle: PkiBundle, id: string): boolean {
  const m = bundle.certs.get(id);
  return m?.certPem !== undefined && m.keyPem !== undefined;
}

/**
 * Plan notices for each keyless CA. The kubernetes CA matters most: kube-controller-manager signs
 * kubelet certificates with its key, so without it KCM is rendered without --cluster-signing-*
 * (what kubeadm does in its external-CA mode) and signs nothing.
 */
export function keylessNotices(bundle: PkiBundle): readonly string[] {
  return keylessCas(bundle).map((ca) =>
    ca === 'kubernetes-ca'
      ? 'PKI keyless: the kubernetes-ca key is not in the state dir, so kube-controller-manager runs without --cluster-signing-cert-file/--cluster-signing-key-file (as kubeadm\'s external-CA mode) and signs no kubelet CSR: new nodes and kubelet certificate rotation need their approved CSRs signed with the offline key (or put kubernetes-ca.key back in the state dir, mode 0600)'
      : `PKI keyless: the ${ca} key is not in the state dir; certificates already issued under it are used as they are, and issuing or renewing any of them needs the key (shown as blocked)`,
  );
}

/**
 * The refusal render and apply give (and plan, when a blocked certificate has nothing to render
 * from): every blocked certificate with its reason, the key it needs, and the two ways out.
 * `outcome` says what did happen (apply has saved what it could issue, like `pki generate`).
 */
export function blockedError(command: string, dir: string, blocked: readonly PkiDecision[], bundle: PkiBundle, outcome = 'nothing was written'): PkiError {
  const keys = keylessCas(bundle).map((ca) => `${dir}/${STATE_FILES.key(ca)}`);
  const n = blocked.length;
  return new PkiError(`${command}: ${n} certificate${n === 1 ? ' is' : 's are'} blocked: ${n === 1 ? 'it needs' : 'they need'} a CA key that is not in ${dir} (keyless mode)`, {
    detail: blocked.map((d) => `blocked ${d.id}: ${d.reason}`),
    hint: [
      `put the CA key back for one run (${keys.join(', ') || 'the CA .key file'}, mode 0600), run \`kubesmith pki generate\`, then take it offline again;`,
      `or sign these with the offline CA yourself and place the .crt/.key pairs in ${dir}; ${outcome}`,
    ].join(' '),
  });
}
