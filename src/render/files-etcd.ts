/** Files of an etcd member: its config and unit (certificates come from the CA's install list). */
import type { InventoryHost } from '../inventory/types.js';
import type { CredentialPaths } from './credentials.js';
import type { RenderContext, RoleFiles } from './render-context.js';
import { etcdConfigPath, etcdConfigView, etcdView } from './views/etcd.js';
import { etcdBootstraps } from './etcd-membership.js';
import { InternalError } from '../shared/errors.js';

/** etcd.service + etcd.conf.yml. */
export function etcdFiles(ctx: RenderContext, host: InventoryHost, creds: CredentialPaths): RoleFiles {
  const restarts = ['etcd.service'];
  const bootstrap = etcdBootstraps(ctx.inv, ctx.bundle.identity?.etcdMembers).members.get(host.name);
  if (!bootstrap) throw new InternalError(`${host.name}: etcd files for a host without the etcd role`);
  return {
    files: [
      {
        path: etcdConfigPath(ctx.layout),
        kind: 'config',
        phase: 'etcd',
        template: 'manifests/etcd.conf.yml.hbs',
        view: etcdConfigView(ctx.inv, host, ctx.layout, creds, ctx.etcd, bootstrap),
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
