/** Files of an etcd member: its config and unit (certificates come from the CA's install list). */
import type { InventoryHost } from '../inventory/types.js';
import type { CredentialPaths } from './credentials.js';
import type { RenderContext, RoleFiles } from './render-context.js';
import { etcdConfigPath, etcdConfigView, etcdView } from './views/etcd.js';

/** etcd.service + etcd.conf.yml. */
export function etcdFiles(ctx: RenderContext, host: InventoryHost, creds: CredentialPaths): RoleFiles {
  const restarts = ['etcd.service'];
  return {
    files: [
      {
        path: etcdConfigPath(ctx.layout),
        kind: 'config',
        phase: 'etcd',
        template: 'manifests/etcd.conf.yml.hbs',
        view: etcdConfigView(ctx.inv, host, ctx.layout, creds, ctx.etcd),
        secret: false,
        restarts,
      },
      {
        path: `${ctx.layout.unitDir}/etcd.service`,
        kind: 'unit',
        phase: 'etcd',
        template: 'units/etcd.service.hbs',
        view: etcdView(ctx.layout),
        secret: false,
        restarts,
      },
    ],
  };
}
