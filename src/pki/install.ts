/**
 * Where each credential goes: the catalogue's install entries resolved for one host.
 * Owned by the CA work (issue 3); the renderer calls it to build per-host file sets. Pure.
 */
import type { Inventory, InventoryHost, Role } from '../inventory/types.js';
import type { IdentityName } from './identity.js';
import { InternalError, PkiError } from '../shared/errors.js';
import { bootstrapTokenSecretYaml, tokenCsvLine } from './bootstrap-token.js';
import type { CertProfile, InstallEntry } from './profile-types.js';
import { fillPath } from './specs.js';
import { holdsTwo, trustPemOf } from './trust-bundle.js';
import type { PkiBundle, PkiFile } from './types.js';

export { bootstrapTokenSecretYaml, tokenCsvLine };

const applies = (p: CertProfile, inv: Inventory): boolean => p.when === undefined || p.when.adminIdentity === inv.pki.adminIdentity;
const forRoles = (e: InstallEntry, roles: readonly Role[]): boolean => e.roles.some((r) => roles.includes(r));

/** The PEM of a certificate ("kubernetes-ca", "admin", "etcd-server@master01") or its key; throws when absent. */
export function pemOf(bundle: PkiBundle, id: string, part: 'cert' | 'key' = 'cert'): string {
  const m = bundle.certs.get(id);
  const pem = part === 'cert' ? m?.certPem : m?.keyPem;
  if (pem === undefined) {
    throw new PkiError(`the PKI bundle has no ${part === 'cert' ? 'certificate' : 'key'} "${id}"`, {
      hint: m ? 'the key is kept offline (keyless mode)' : 'run `kubesmith pki generate`',
    });
  }
  return pem;
}

/**
 * Credential files for `host`: CA certs, its leaf certs and keys, the service-account keys, the
 * kubernetes CA key on control-plane hosts only. A file listed for several of the host's roles is
 * returned once. Material whose key is kept offline (keyless CA) is skipped.
 */
export function pkiFilesForHost(inventory: Inventory, bundle: PkiBundle, host: InventoryHost): readonly PkiFile[] {
  const files = new Map<string, PkiFile>();
  const put = (f: PkiFile): void => {
    const prev = files.get(f.path);
    if (prev && prev.content !== f.content) throw new InternalError(`${host.name}: two credentials want ${f.path} (${prev.certId}, ${f.certId})`);
    files.set(f.path, f);
  };
  for (const p of bundle.catalogue.profiles.filter((x) => applies(x, inventory))) {
    for (const e of p.install.filter((x) => forRoles(x, host.roles))) {
      if (p.kind === 'keypair') {
        if (e.key) put({ certId: p.id, path: fillPath(e.key, inventory), mode: 0o600, content: bundle.serviceAccount.privatePem, secret: true });
        // During a rotation sa.pub holds both public keys: the apiserver accepts tokens signed by either.
        if (e.publicKey) put({ certId: p.id, path: fillPath(e.publicKey, inventory), mode: 0o644, content: trustPemOf(bundle, p.id), secret: false });
        continue;
      }
      const id = p.perHost ? `${p.id}@${host.name}` : p.id;
      if (p.perHost && !host.roles.includes(p.perHost)) continue;
      // A CA's copy on hosts is its trust bundle: old + new while it is being rotated (trust-bundle.ts).
      if (e.cert) put({ certId: id, path: fillPath(e.cert, inventory), mode: 0o644, content: p.kind === 'ca' ? trustPemOf(bundle, id) : pemOf(bundle, id, 'cert'), secret: false });
      if (e.key) {
        const key = bundle.certs.get(id)?.keyPem;
        if (key === undefined && p.kind === 'ca') continue; // keyless mode: the CA key stays offline
        put({ certId: id, path: fillPath(e.key, inventory), mode: 0o600, content: pemOf(bundle, id, 'key'), secret: true });
        if (p.kind === 'ca' && holdsTwo(bundle, id as IdentityName)) put(signingCertFile(id, fillPath(e.key, inventory), pemOf(bundle, id, 'cert')));
      }
    }
  }
  return [...files.values()];
}

/** Id of the single signing certificate installed beside a CA key while the CA's bundle holds two. */
export const signingCertId = (caId: string): string => `${caId}-signing`;

/**
 * The CA certificate alone, next to its key, while the CA's trust file is a two-certificate bundle:
 * kube-controller-manager's CSR signer loads --cluster-signing-cert-file expecting exactly one
 * certificate (pkg/controller/certificates/signer/ca_provider.go: "expected 1 certificate"), so it
 * cannot use the bundle. "ca-key.pem" -> "ca-signing.pem" in the same directory.
 */
function signingCertFile(caId: string, keyPath: string, certPem: string): PkiFile {
  const path = keyPath.replace(/(-key)?\.pem$/, '-signing.pem');
  return { certId: signingCertId(caId), path, mode: 0o644, content: certPem, secret: false };
}

/**
 * The remote path of a credential for a host with `role` (for unit flags): installPath(inv, bundle,
 * "apiserver", "cert", "control-plane") is "/opt/kubernetes/ssl/apiserver.pem". Throws when not installed.
 */
export function installPath(inventory: Inventory, bundle: PkiBundle, profileId: string, part: 'cert' | 'key' | 'publicKey', role: Role): string {
  const p = bundle.catalogue.profiles.find((x) => x.id === profileId);
  const e = p?.install.find((x) => x.roles.includes(role) && x[part] !== undefined);
  const path = e?.[part];
  if (path === undefined) throw new InternalError(`pki/profiles.yaml installs no ${part} of "${profileId}" for role ${role}`);
  return fillPath(path, inventory);
}
