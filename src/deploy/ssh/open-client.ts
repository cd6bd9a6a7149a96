/**
 * Opens the ssh2 client for an inventory host: directly, or through its bastion (jump host).
 * The bastion's own host key is verified against the same known_hosts; the target is then
 * reached with a direct-tcpip channel (forwardOut) and SSH runs over that stream.
 */
import type { Duplex } from 'node:stream';
import type { InventoryHost } from '../../inventory/types.js';
import { SshError } from '../../shared/errors.js';
import { dial, type DialTarget } from './dial.js';
import type { KnownHostsFiles } from './known-hosts-files.js';
import type { Client } from './ssh2-lib.js';

/** The target client and, when used, the bastion client it runs over. */
export interface OpenedClient {
  readonly client: Client;
  readonly bastion: Client | undefined;
}

/** Connects to the host (once, no retry). */
export async function openClient(
  host: InventoryHost,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
  keepaliveIntervalMs?: number,
  knownHosts?: KnownHostsFiles,
): Promise<OpenedClient> {
  const s = host.ssh;
  const agentSocket = s.agent ? env['SSH_AUTH_SOCK'] || undefined : undefined;
  const target: DialTarget = {
    label: host.name,
    address: host.address,
    port: s.port,
    user: s.user,
    identityFile: s.identityFile,
    agentSocket,
    knownHostsFile: s.knownHostsFile,
    hostKeyPolicy: s.hostKeyPolicy,
    connectTimeoutMs: s.connectTimeoutSeconds * 1000,
    ...(keepaliveIntervalMs === undefined ? {} : { keepaliveIntervalMs }),
    ...(knownHosts === undefined ? {} : { knownHosts }),
  };
  if (s.bastion === undefined) return { client: await dial(target, signal), bastion: undefined };
  const b = s.bastion;
  const bastion = await dial(
    {
      ...target,
      label: `${host.name} (bastion ${b.address})`,
      address: b.address,
      port: b.port,
      user: b.user,
      identityFile: b.identityFile ?? s.identityFile,
    },
    signal,
  );
  try {
    const sock = await forward(bastion, host, b.address);
    return { client: await dial({ ...target, sock }, signal), bastion };
  } catch (e) {
    bastion.end();
    throw e;
  }
}

function forward(bastion: Client, host: InventoryHost, via: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    bastion.forwardOut('127.0.0.1', 0, host.address, host.ssh.port, (err, stream) => {
      if (err) {
        reject(
          new SshError('E_SSH_CONNECT', host.name, `bastion ${via} cannot reach ${host.address}:${host.ssh.port}: ${err.message}`, {
            hint: 'check that the host is up and that the bastion allows TCP forwarding (AllowTcpForwarding)',
            cause: err,
          }),
        );
      } else resolve(stream);
    });
  });
}
