/**
 * Files that stay on the operator machine: admin kubeconfigs.
 *
 * Decision: no admin credential is installed on any host. The everyday admin.kubeconfig
 * (O=kubeadm:cluster-admins, revocable through RBAC) and, with adminIdentity cluster-admins, the
 * break-glass super-admin.kubeconfig (O=system:masters, bypasses RBAC) live only in the state
 * directory (and in `render --out DIR/_operator/`). kubesmith reaches the API through an SSH
 * forward to a control-plane host, so hosts never need them; an operator who wants kubectl on a
 * master copies admin.kubeconfig there deliberately.
 */
import type { Inventory } from '../inventory/types.js';
import type { PkiBundle } from '../pki/types.js';
import { CERT } from './credentials.js';
import { adminServerUrl } from './endpoints.js';
import type { TemplateEngine } from './engine.js';
import { certKubeconfigView } from './views/kubeconfig.js';

/** A file for the operator machine (relative name, always secret). */
export interface OperatorFile {
  readonly name: string;
  readonly content: string;
}

/** admin.kubeconfig, plus super-admin.kubeconfig when the bundle has that certificate. */
export function operatorFiles(inv: Inventory, bundle: PkiBundle, engine: TemplateEngine): readonly OperatorFile[] {
  const server = adminServerUrl(inv);
  const out: OperatorFile[] = [
    { name: 'admin.kubeconfig', content: engine.render('manifests/kubeconfig.yaml.hbs', certKubeconfigView(bundle, inv.cluster.name, server, CERT.admin, 'kubernetes-admin')) },
  ];
  if (bundle.certs.has('super-admin')) {
    out.push({
      name: 'super-admin.kubeconfig',
      content: engine.render('manifests/kubeconfig.yaml.hbs', certKubeconfigView(bundle, inv.cluster.name, server, 'super-admin', 'kubernetes-super-admin')),
    });
  }
  return out;
}
