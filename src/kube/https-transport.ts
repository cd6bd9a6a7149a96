/**
 * HTTPS to kube-apiserver with client-certificate auth: the only I/O file in src/kube. The socket
 * is either a direct TCP connection or any Duplex the caller opens (an SSH channel forwarded to a
 * control-plane host's 127.0.0.1:6443), with TLS on top, verified against the cluster CA.
 */
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { ApiRequest, ApiResponse, ApiTransport } from './types.js';

/** PEM texts: the cluster CA that signed the apiserver cert, and the client cert + key to present. */
export interface TlsCredentials {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Where the TLS connection goes. */
export type TransportTarget =
  | { readonly kind: 'direct'; readonly host: string; readonly port: number }
  | {
      readonly kind: 'stream';
      /** Opens a fresh byte stream to the apiserver for each request (e.g. ssh2 forwardOut). */
      readonly connect: () => Promise<Duplex>;
      /** Name or IP the apiserver certificate must carry (127.0.0.1 when forwarding to loopback). */
      readonly verifyName: string;
      /** Shown in messages: "https://127.0.0.1:6443 via ssh master01". */
      readonly describe: string;
    };

const DEFAULT_TIMEOUT_MS = 30_000;

/** "CN=kubernetes-admin, O=kubeadm:cluster-admins" from a certificate PEM. */
export function certificateIdentity(certPem: string): string {
  return new X509Certificate(certPem).subject.split('\n').join(', ');
}

/** Builds the transport. No connection is made until the first request. */
export function createHttpsTransport(credentials: TlsCredentials, target: TransportTarget): ApiTransport {
  const verifyName = target.kind === 'direct' ? target.host : target.verifyName;
  const tlsOptions: tls.ConnectionOptions = {
    ca: credentials.caPem,
    cert: credentials.certPem,
    key: credentials.keyPem,
    // SNI must be a DNS name (RFC 6066); for an IP, identity is still checked below.
    ...(net.isIP(verifyName) === 0 ? { servername: verifyName } : {}),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(verifyName, cert),
    minVersion: 'TLSv1.2',
  };
  const open = async (): Promise<tls.TLSSocket> => {
    if (target.kind === 'direct') return tls.connect({ ...tlsOptions, host: target.host, port: target.port });
    const stream = await target.connect();
    const socket = tls.connect({ ...tlsOptions, socket: stream });
    stream.once('error', (err: Error) => socket.destroy(err));
    socket.once('close', () => stream.destroy()); // closes the SSH channel too
    return socket;
  };
  const hostHeader = target.kind === 'direct' ? `${target.host}:${target.port}` : verifyName;
  const agent = new OpenerAgent(open);
  return {
    identity: certificateIdentity(credentials.certPem),
    endpoint: target.kind === 'direct' ? `https://${hostHeader}` : target.describe,
    request: (req) => send(req, agent, hostHeader),
    close: async () => agent.destroy(),
  };
}

/**
 * Keep-alive agent whose connections come from `open` (TLS over TCP or over an SSH channel), so a
 * polling `approve --watch` reuses one TLS session instead of a channel and handshake per request.
 */
class OpenerAgent extends https.Agent {
  constructor(private readonly open: () => Promise<tls.TLSSocket>) {
    super({ keepAlive: true, maxSockets: 4 });
  }

  override createConnection(_opts: https.RequestOptions, done?: (err: Error | null, stream: Duplex) => void): undefined {
    this.open().then(
      (s) => done?.(null, s),
      (err: unknown) => done?.(err instanceof Error ? err : new Error(String(err)), undefined as unknown as Duplex),
    );
    return undefined;
  }
}

function send(req: ApiRequest, agent: https.Agent, hostHeader: string): Promise<ApiResponse> {
  return new Promise<ApiResponse>((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'kubesmith', host: hostHeader };
    if (body) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(body.length);
    }
    const request = https.request(
      {
        method: req.method,
        path: req.path,
        headers,
        ...(req.signal ? { signal: req.signal } : {}),
        timeout: req.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    request.on('timeout', () => {
      request.destroy(Object.assign(new Error(`no response within ${req.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' }));
    });
    request.on('error', reject);
    request.end(body);
  });
}
