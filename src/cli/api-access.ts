/**
 * Opening the Kubernetes API for commands that need more than one apiserver (`status` asks each
 * control-plane host): the admin credentials from the local PKI state, and a KubeClient either
 * direct (--server) or through SSH to a given host, forwarding to that host's own apiserver and
 * verifying its certificate against the kubernetes CA for that address (_kube-session tunnelTarget).
 * `approve` opens its single session with commands/_kube-session.ts; both use openSshTunnel.
 */
import type { Inventory } from '../inventory/types.js';
import { KubeClient } from '../kube/client.js';
import { createHttpsTransport, type TlsCredentials } from '../kube/https-transport.js';
import type { ApiTunnel } from '../kube/types.js';
import { parseToken } from '../pki/bootstrap-token.js';
import { parseRotation, ROTATION_FILE } from '../pki/rotation-record.js';
import { trustText } from '../pki/trust-bundle.js';
import type { BootstrapToken } from '../pki/types.js';
import type { Clock } from '../shared/clock.js';
import { StateError } from '../shared/errors.js';
import { loadPkiState, pkiStateDir } from '../state/pki-store.js';

/** The cluster CA, the admin client certificate and (if issued) the bootstrap token. */
export interface ApiCredentials {
  readonly tls: TlsCredentials;
  readonly token?: BootstrapToken;
}

/** A client and what closing it must release (the TLS agent, the SSH connection). */
export interface OpenedApi {
  readonly client: KubeClient;
  close(): Promise<void>;
}

/** Opens the SSH tunnel to one host's apiserver (openSshTunnel in production). */
export type TunnelOpener = (inventory: Inventory, host: string, env: NodeJS.ProcessEnv, signal: AbortSignal) => Promise<ApiTunnel>;

/** Reads the credentials from <state>/pki; StateError (with the command to run) when absent. */
export function loadApiCredentials(inventory: Inventory): ApiCredentials {
  const state = loadPkiState(pkiStateDir(inventory));
  const ca = state.pairs.get('kubernetes-ca')?.certPem;
  const admin = state.pairs.get('admin');
  if (!ca || !admin?.certPem || !admin.keyPem) {
    throw new StateError(`${state.dir}: no kubernetes CA or admin certificate in the PKI state`, {
      hint: 'run `kubesmith pki generate -i <inventory>` (or `kubesmith apply`) first',
    });
  }
  const token = state.bootstrapTokenJson === undefined ? undefined : parseToken(state.bootstrapTokenJson);
  // While the kubernetes CA is rotated, apiservers may serve a certificate of either CA.
  const rotation = state.rotationJson === undefined ? undefined : parseRotation(state.rotationJson, `${state.dir}/${ROTATION_FILE}`);
  return { tls: { caPem: trustText(rotation, 'kubernetes-ca', ca), certPem: admin.certPem, keyPem: admin.keyPem }, ...(token ? { token } : {}) };
}

/** Client options shared by both ways in. */
export interface ClientOptions {
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** How long one call retries transient failures (connection refused while starting). */
  readonly retryForMs: number;
}

/** A client straight to https://HOST:PORT (--server). */
export function directApi(creds: ApiCredentials, server: { host: string; port: number }, o: ClientOptions): OpenedApi {
  const transport = createHttpsTransport(creds.tls, { kind: 'direct', ...server });
  return { client: new KubeClient({ transport, clock: o.clock, signal: o.signal, retryForMs: o.retryForMs }), close: () => transport.close() };
}

/** A client through SSH to `host`; throws the SSH error when the host cannot be reached. */
export async function apiThroughHost(
  inventory: Inventory,
  host: string,
  creds: ApiCredentials,
  openTunnel: TunnelOpener,
  env: NodeJS.ProcessEnv,
  o: ClientOptions,
): Promise<OpenedApi> {
  const tunnel = await openTunnel(inventory, host, env, o.signal);
  const transport = createHttpsTransport(creds.tls, { kind: 'stream', connect: tunnel.connect, verifyName: tunnel.verifyName, describe: tunnel.describe });
  return {
    client: new KubeClient({ transport, clock: o.clock, signal: o.signal, retryForMs: o.retryForMs }),
    close: async () => {
      await transport.close();
      await tunnel.close();
    },
  };
}
