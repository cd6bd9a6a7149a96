/** `kubesmith status`: apiserver health, nodes against the inventory, pending kubelet CSRs, token expiry. */
import { formatStatus, gatherStatus } from '../../kube/cluster-status.js';
import { NodeClock } from '../../state/node-sources.js';
import { INVENTORY_OPTION, JSON_OPTION, boolOpt, type Command, type CommandContext } from '../command.js';
import { openKubeSession, openSshTunnel, SERVER_OPTION, type SessionDeps } from './_kube-session.js';

const DEFAULT_DEPS: SessionDeps = { clock: NodeClock, openTunnel: openSshTunnel };

/** The command body with injectable dependencies; exit 0 when healthy, 1 when not. */
export async function runStatus(ctx: CommandContext, deps: SessionDeps = DEFAULT_DEPS): Promise<number> {
  const session = await openKubeSession(ctx, deps, 15_000);
  try {
    const now = deps.clock.now();
    const status = await gatherStatus(session.client, session.inventory, session.token, now);
    ctx.stdout.write(boolOpt(ctx, 'json') ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, now));
    return status.healthy ? 0 : 1;
  } finally {
    await session.close();
  }
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show apiserver health, nodes against the inventory, pending kubelet CSRs and token expiry',
  usage: '-i FILE [--server https://HOST:PORT] [--json]',
  description:
    'Read-only. Exit 0 when /readyz is ok and every inventory node is registered and Ready, 1 otherwise.\n' +
    'Talks to the apiserver through SSH to the first control-plane host, or directly with --server.',
  options: { inventory: INVENTORY_OPTION, server: SERVER_OPTION, json: JSON_OPTION },
  run: (ctx) => runStatus(ctx),
};
