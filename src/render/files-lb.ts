/** Files of a load-balancer host (ha: vip): nginx behind the VIP and keepalived holding it. */
import type { InventoryHost } from '../inventory/types.js';
import type { RenderContext, RoleFiles } from './render-context.js';
import { keepalivedUnitView, keepalivedView, lbPaths, nginxUnitView, vipNginxView } from './views/apiserver-lb.js';

// The VIP must be up before nodes bootstrap; the deployer ships it with the control plane.
const PHASE = 'control-plane';

/** Nothing unless the cluster uses the VIP option. */
export function loadBalancerFiles(ctx: RenderContext, host: InventoryHost): RoleFiles {
  if (ctx.inv.cluster.apiServer.ha !== 'vip') return { files: [] };
  const p = lbPaths(ctx.layout);
  const lb = ['kubesmith-apiserver-lb.service'];
  const ka = ['kubesmith-keepalived.service'];
  return {
    files: [
      { path: p.vipNginxConf, kind: 'config', phase: PHASE, template: 'manifests/nginx-stream.conf.hbs', view: vipNginxView(ctx.inv), secret: false, restarts: [], reloads: lb },
      { path: `${ctx.layout.unitDir}/kubesmith-apiserver-lb.service`, kind: 'unit', phase: PHASE, template: 'units/kubesmith-apiserver-lb.service.hbs', view: nginxUnitView(p.vipNginxConf), secret: false, restarts: lb },
      { path: p.keepalivedConf, kind: 'config', phase: PHASE, template: 'manifests/keepalived.conf.hbs', view: keepalivedView(ctx.inv, host), secret: false, restarts: ka },
      { path: `${ctx.layout.unitDir}/kubesmith-keepalived.service`, kind: 'unit', phase: PHASE, template: 'units/kubesmith-keepalived.service.hbs', view: keepalivedUnitView(p.keepalivedConf), secret: false, restarts: ka },
    ],
  };
}
