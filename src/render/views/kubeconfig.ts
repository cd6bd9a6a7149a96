/**
 * kubeconfig views: one template, many identities. Credentials are embedded (*-data fields) as
 * kubeadm does, so a kubeconfig is one self-contained file (kubeconfig.go in pki-spec.md §1).
 */
import type { BootstrapToken, CertMaterial, PkiBundle } from '../../pki/types.js';
import { PkiError } from '../../shared/errors.js';
import { trustPemOf } from '../../pki/trust-bundle.js';
import { CERT } from '../credentials.js';
import type { YamlSetting } from './unit-view.js';

/** View of manifests/kubeconfig.yaml.hbs. */
export interface KubeconfigView {
  readonly clusterName: string;
  readonly server: string;
  readonly caData: string;
  readonly userName: string;
  readonly contextName: string;
  /** The user's credentials ("token", or the client-certificate-data / client-key-data pair). */
  readonly userFields: readonly YamlSetting[];
}

const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

/** A certificate from the bundle, or a PkiError naming what is missing. */
export function certOf(bundle: PkiBundle, id: string): CertMaterial {
  const c = bundle.certs.get(id);
  if (!c) {
    throw new PkiError(`PKI state has no certificate "${id}"`, { hint: 'run `kubesmith pki generate -i INVENTORY` first' });
  }
  return c;
}

/** What kubeconfigs trust: the kubernetes CA, or old + new while it is rotated (trust-bundle.ts). */
function caPem(bundle: PkiBundle): string {
  certOf(bundle, CERT.kubernetesCa); // names what is missing
  return trustPemOf(bundle, CERT.kubernetesCa);
}

/** A kubeconfig authenticating with the client certificate `certId` from the bundle. */
export function certKubeconfigView(bundle: PkiBundle, cluster: string, server: string, certId: string, user: string): KubeconfigView {
  const cert = certOf(bundle, certId);
  if (cert.keyPem === undefined) {
    throw new PkiError(`PKI state has no private key for "${certId}"`, { hint: 'run `kubesmith pki generate -i INVENTORY`' });
  }
  return {
    clusterName: cluster,
    server,
    caData: b64(caPem(bundle)),
    userName: user,
    contextName: `${user}@${cluster}`,
    userFields: [
      { key: 'client-certificate-data', value: b64(cert.certPem) },
      { key: 'client-key-data', value: b64(cert.keyPem) },
    ],
  };
}

/** The kubelet's bootstrap kubeconfig: the bootstrap token (user system:bootstrap:<id>). */
export function bootstrapKubeconfigView(bundle: PkiBundle, cluster: string, server: string, token: BootstrapToken): KubeconfigView {
  return {
    clusterName: cluster,
    server,
    caData: b64(caPem(bundle)),
    userName: 'kubelet-bootstrap',
    contextName: `kubelet-bootstrap@${cluster}`,
    userFields: [{ key: 'token', value: `${token.id}.${token.secret}` }],
  };
}
