/** Files of a control-plane host: the three control-plane units and their kubeconfigs. */
import type { InventoryHost } from '../inventory/types.js';
import { CERT, type CredentialPaths } from './credentials.js';
import { localServerUrl } from './endpoints.js';
import type { RenderContext, RoleFiles, TextFile } from './render-context.js';
import { apiserverView, controllerManagerView, controlPlaneKubeconfigs, schedulerView } from './views/control-plane.js';
import { certKubeconfigView } from './views/kubeconfig.js';

const PHASE = 'control-plane';

/** kube-apiserver, kube-controller-manager, kube-scheduler. */
export function controlPlaneFiles(ctx: RenderContext, host: InventoryHost, creds: CredentialPaths): RoleFiles {
  const { inv, layout } = ctx;
  const kc = controlPlaneKubeconfigs(layout);
  // controller-manager and scheduler use their own host's apiserver, never the proxy (endpoints.ts).
  const server = localServerUrl(inv, host);
  const unit = (name: string, view: object): TextFile => ({
    path: `${layout.unitDir}/${name}.service`,
    kind: 'unit',
    phase: PHASE,
    template: `units/${name}.service.hbs`,
    view,
    secret: false,
    restarts: [`${name}.service`],
  });
  return {
    files: [
      unit('kube-apiserver', apiserverView(inv, host, layout, creds, ctx.k8s)),
      unit('kube-controller-manager', controllerManagerView(inv, layout, creds)),
      unit('kube-scheduler', schedulerView(layout)),
      {
        path: kc.controllerManager,
        kind: 'kubeconfig',
        phase: PHASE,
        template: 'manifests/kubeconfig.yaml.hbs',
        view: certKubeconfigView(ctx.bundle, inv.cluster.name, server, CERT.controllerManager, 'system:kube-controller-manager'),
        secret: true,
        restarts: ['kube-controller-manager.service'],
      },
      {
        path: kc.scheduler,
        kind: 'kubeconfig',
        phase: PHASE,
        template: 'manifests/kubeconfig.yaml.hbs',
        view: certKubeconfigView(ctx.bundle, inv.cluster.name, server, CERT.scheduler, 'system:kube-scheduler'),
        secret: true,
        restarts: ['kube-scheduler.service'],
      },
    ],
  };
}
