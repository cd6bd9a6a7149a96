/**
 * The API access `kubesmith apply` hands its API phases: the admin or super-admin client
 * certificate from the plan's PKI, TLS verified against the kubernetes CA for the address of the
 * host's own apiserver (tunnelTarget), over a direct-tcpip channel of the run's own SSH connection
 * to the control-plane host (recorded by wrapping the runner's Transport), or a fresh SSH
 * connection when the run has none to it.
 */
import type { Transport } from '../deploy/runner.js';
import type { ApiAccess, ApiIdentity } from '../deploy/phases/_api-access.js';
import { Ssh2Connection } from '../deploy/ssh/ssh2-connection.js';
import type { HostConnection } from '../deploy/ssh/connection.js';
import { KubeClient } from '../kube/client.js';
import { createHttpsTransport, type TlsCredentials } from '../kube/https-transport.js';
import type { ApiTunnel } from '../kube/types.js';
import type { ClusterPlan } from '../plan/types.js';
import { PkiError } from '../shared/errors.js';
import { trustPemOf } from '../pki/trust-bundle.js';
import { openSshTunnel, tunnelTarget } from './commands/_kube-session.js';

/** How long one API call retries transient failures (an apiserver that just restarted). */
const RETRY_FOR_MS = 60_000;

/** The client credentials of `identity` from the plan's PKI bundle. */
export function credentialsFor(plan: ClusterPlan, identity: ApiIdentity): TlsCredentials {
  const ca = plan.pki.certs.get('kubernetes-ca');
  const pair = plan.pki.certs.get(identity);
  if (!ca || !pair?.keyPem) {
    throw new PkiError(`apply: the PKI has no ${!ca ? 'kubernetes-ca certificate' : `${identity} certificate and key`} for the Kubernetes API`, {
      hint: 'run `kubesmith pki generate -i <inventory>` and then `kubesmith apply` again',
    });
  }
  // Old + new while the kubernetes CA is rotated: apiservers restart onto new certificates one by one.
  return { caPem: trustPemOf(plan.pki, 'kubernetes-ca'), certPem: pair.certPem, keyPem: pair.keyPem };
}

/** An ApiAccess plus the Transport wrapper that lets it reuse the run's SSH connections. */
export interface ApplyApi {
  readonly access: ApiAccess;
  /** `transport` with every opened connection remembered for forwarding. */
  record(transport: Transport): Transport;
}

/** Production API access for one apply run; `env` is where SSH_AUTH_SOCK comes from for fresh connections. */
export function applyApi(env: NodeJS.ProcessEnv): ApplyApi {
  const conns = new Map<string, HostConnection>();
  const tunnel = async (plan: ClusterPlan, host: string, signal: AbortSignal): Promise<ApiTunnel> => {
    const conn = conns.get(host);
    const planned = plan.inventory.hosts.find((h) => h.name === host);
    if (!(conn instanceof Ssh2Connection) || !planned) return openSshTunnel(plan.inventory, host, env, signal);
    const { address, port, describe } = tunnelTarget(plan.inventory, planned);
    return { verifyName: address, describe, connect: () => conn.forwardOut(address, port), close: async () => undefined };
  };
  return {
    record: (transport) => ({
      connect: async (host, signal, onWait) => {
        const c = await transport.connect(host, signal, onWait);
        conns.set(host.name, c);
        return c;
      },
      lock: (conn, signal, onWait) => transport.lock(conn, signal, onWait),
    }),
    access: {
      open: async (plan, host, identity, ctx) => {
        const creds = credentialsFor(plan, identity);
        const t = await tunnel(plan, host, ctx.signal);
        const transport = createHttpsTransport(creds, { kind: 'stream', connect: t.connect, verifyName: t.verifyName, describe: t.describe });
        const client = new KubeClient({ transport, clock: ctx.clock, signal: ctx.signal, retryForMs: RETRY_FOR_MS });
        return {
          client,
          close: async () => {
            await transport.close();
            await t.close();
          },
        };
      },
    },
  };
}
