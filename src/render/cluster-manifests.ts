/** Cluster-scoped objects applied through the API: bootstrap RBAC, token Secret, flannel, CoreDNS. */
import type { Inventory } from '../inventory/types.js';
import { bootstrapTokenSecretYaml } from '../pki/bootstrap-token.js';
import type { BootstrapToken } from '../pki/types.js';
import type { ClusterManifest } from '../plan/types.js';
import type { TemplateEngine } from './engine.js';
import type { RemoteLayout } from './layout.js';
import { bootstrapRbacView, clusterAdminsRbacView, corednsView, flannelView } from './views/cluster.js';

/**
 * The manifests in apply order (RBAC before the token that uses it; network before DNS). flannel
 * only with `cluster.cni: flannel`, CoreDNS only with `cluster.coredns` (kube/addons.ts enabledAddons).
 */
export function clusterManifests(inv: Inventory, layout: RemoteLayout, engine: TemplateEngine, token: BootstrapToken): readonly ClusterManifest[] {
  return [
    ...(inv.pki.adminIdentity === 'cluster-admins'
      ? [{ id: 'cluster-admins-rbac', yaml: engine.render('manifests/cluster-admins-rbac.yaml.hbs', clusterAdminsRbacView()), secret: false }]
      : []),
    { id: 'bootstrap-rbac', yaml: engine.render('manifests/bootstrap-rbac.yaml.hbs', bootstrapRbacView()), secret: false },
    // The Secret's format is owned by the CA code (src/pki/bootstrap-token.ts), next to the token itself.
    { id: 'bootstrap-token-secret', yaml: bootstrapTokenSecretYaml(token), secret: true },
    ...(inv.cluster.cni === 'flannel' ? [{ id: 'flannel', yaml: engine.render('manifests/flannel.yaml.hbs', flannelView(inv, layout)), secret: false }] : []),
    ...(inv.cluster.coredns ? [{ id: 'coredns', yaml: engine.render('manifests/coredns.yaml.hbs', corednsView(inv)), secret: false }] : []),
  ];
}
