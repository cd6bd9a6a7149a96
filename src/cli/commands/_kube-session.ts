/**
 * Opens a Kubernetes API session for a command: the inventory, the admin credentials from the PKI
 * state, and a transport either direct (--server) or through SSH to the first control-plane host,
 * forwarding to its own apiserver (tunnelTarget; the apiserver certificate names that address, and
 * no apiserver port has to be reachable from the operator machine).
 */
import type { Duplex } from 'node:stream';
import { openClient } from '../../deploy/ssh/open-client.js';
import { hostsWithRole, type Inventory, type InventoryHost } from '../../inventory/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { ApiTunnel } from '../../kube/types.js';
import type { BootstrapToken } from '../../pki/types.js';
import { hostPart, ownApiserverAddress } from '../../render/endpoints.js';
import type { Clock } from '../../shared/clock.js';
import { InternalError, SshError, UsageError } from '../../shared/errors.js';
import { loadInventory } from '../../state/load-inventory.js';
import { apiThroughHost, directApi, loadApiCredentials, type ApiCredentials, type ClientOptions, type OpenedApi } from '../api-access.js';
import { stringOpt, type CommandContext } from '../command.js';

/** --server for commands that talk to the API. */

/** What a session needs from the outside world; tests replace parts of it. */
export interface SessionDeps {
  readonly clock: Clock;
  /** Opens the tunnel to a control-plane host's apiserver (SSH in production). */
  readonly openTunnel: (inventory: Inventory, host: string, env: NodeJS.ProcessEnv, signal: AbortSignal) => Promise<ApiTunnel>;
}

/** An open API session; close() ends the SSH connection. */
export interface KubeSession {
  readonly inventory: Inventory;
  readonly client: KubeClient;
  readonly token?: BootstrapToken;
  close(): Promise<void>;
}

/**
 * "https://10.0.0.1:6443" -> host and port (default 6443). Anything the URL would carry that the
 * connection ignores (user:password@, #fragment, a path, a query) or port 0 is refused, not dropped.
 */
export function parseServer(text: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(text);
    if (u.protocol !== 'https:' || u.pathname.replace(/\/$/, '') !== '' || u.search !== '' || u.hash !== '' || text.includes('#')) return undefined;
    if (u.username !== '' || u.password !== '' || u.hostname === '' || u.port === '0') return undefined;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 6443 : Number(u.port) };
  } catch {
    return undefined;
  }
}

/**
 * Where a tunnel through `host` leads: that host's own kube-apiserver (127.0.0.1, or its internalIP
 * with ha: local-proxy, where 127.0.0.1 is nginx in front of every apiserver; endpoints.ts). TLS
 * is verified for that address, which the apiserver certificate names.
 */
export function tunnelTarget(inventory: Inventory, host: InventoryHost): { readonly address: string; readonly port: number; readonly describe: string } {
  const address = ownApiserverAddress(inventory, host);
  const port = inventory.cluster.apiServer.port;
  return { address, port, describe: `https://${hostPart(address)}:${port} via ssh ${host.name}` };
}

/** SSH to `hostName`; each API connection is a direct-tcpip channel to its own apiserver (tunnelTarget). */
export async function openSshTunnel(inventory: Inventory, hostName: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<ApiTunnel> {
  const host = inventory.hosts.find((h) => h.name === hostName);
  if (!host) throw new UsageError(`host ${hostName} is not in the inventory`);
  const { client, bastion } = await openClient(host, env, signal);
  const { address, port, describe } = tunnelTarget(inventory, host);
  return {
    verifyName: address,
    describe,
    connect: () =>
      new Promise<Duplex>((resolve, reject) => {
        client.forwardOut('127.0.0.1', 0, address, port, (err, channel) => (err ? reject(err) : resolve(channel)));
      }),
    close: async () => {
      client.end();
      bastion?.end();
    },
  };
}

/**
 * SSH to the first control-plane host that answers. Only unreachable hosts are skipped: an auth or
 * host-key failure stops at once (trying the next host would hide a security problem).
 */
async function firstReachable(inventory: Inventory, creds: ApiCredentials, deps: SessionDeps, ctx: CommandContext, o: ClientOptions): Promise<OpenedApi> {
  const hosts = hostsWithRole(inventory, 'control-plane');
  if (hosts.length === 0) throw new UsageError(`${inventory.source}: no control-plane host to reach the apiserver through`, { hint: 'pass --server' });
  const skipped: string[] = [];
  for (const [i, host] of hosts.entries()) {
    try {
      return await apiThroughHost(inventory, host.name, creds, deps.openTunnel, ctx.env, o);
    } catch (err) {
      if (!(err instanceof SshError) || err.code !== 'E_SSH_CONNECT' || i === hosts.length - 1) {
        if (skipped.length > 0 && err instanceof SshError) {
          throw new SshError(err.code, err.host, err.message.replace(`${err.host}: `, ''), { ...(err.hint ? { hint: err.hint } : {}), detail: skipped, cause: err });
        }
        throw err;
      }
      skipped.push(`skipped ${err.message}`);
    }
  }
  throw new InternalError('firstReachable: no control-plane host was tried');
}

/** Loads the inventory (-i) and credentials, then connects as --server or the SSH tunnel says. */
export async function openKubeSession(ctx: CommandContext, deps: SessionDeps, retryForMs: number): Promise<KubeSession> {
  const serverText = stringOpt(ctx, 'server');
  const server = serverText === undefined ? undefined : parseServer(serverText);
  if (serverText !== undefined && !server) {
    throw new UsageError(`--server ${serverText} is not an https://HOST[:PORT] URL`, { hint: 'e.g. --server https://192.168.80.10:6443' });
  }
  const { inventory } = await loadInventory(stringOpt(ctx, 'inventory', 'inventory.yaml'), ctx.cwd);
  const creds = loadApiCredentials(inventory);
  const o: ClientOptions = { clock: deps.clock, signal: ctx.signal, retryForMs };
  const api = server ? directApi(creds, server, o) : await firstReachable(inventory, creds, deps, ctx, o);
  return { inventory, client: api.client, ...(creds.token ? { token: creds.token } : {}), close: () => api.close() };
}
