/**
 * A small fake kube-apiserver for tests: there is no kube-apiserver binary on this machine (nor in
 * CI), so the API calls are tested against this instead. What IS real: HTTPS with node:https, client
 * certificate authentication against a CA made by openssl, TLS server verification by the client.
 * It mimics the apiserver where kubesmith depends on it: a client cert from another CA gets 401
 * (the x509 authenticator rejects it after the handshake; TLS itself only *requests* a cert), RBAC
 * denial is 403 with the real message shape, create/replace/delete with resourceVersion conflicts,
 * immutable roleRef (422), Secret stringData -> data, label selectors, the CSR /approval subresource
 * (only conditions change) and, optionally, a signer that issues approved CSRs with openssl.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import type { CsrObject } from '../../src/pki/csr.js';
import type { TestPki } from '../kube/support/test-pki.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } };

export interface FakeApiServerOptions {
  /** Port to listen on. @default 0 (any free port) */
  readonly port?: number;
  /** Loopback address to listen on (127.0.0.2 stands for a control-plane host's internalIP; test-pki names both). @default "127.0.0.1" */
  readonly host?: string;
  /** Answer 503 to the first N requests (the apiserver is starting). */
  readonly unavailableFirst?: number;
  /** What GET /readyz answers (status tests: a failing check). @default 200 "ok" */
  readonly readyz?: { readonly status: number; readonly body: string };
  /** Sign approved CSRs with the test CA, as kube-controller-manager's signer would. @default false */
  readonly signer?: boolean;
  /**
   * POST pods/NAME/eviction: true refuses it with the apiserver's PodDisruptionBudget answer (429),
   * false deletes the pod; "mark" sets its deletionTimestamp only (a node whose kubelet is gone).
   * @default every eviction deletes the pod
   */
  readonly evictionRefused?: (namespace: string, pod: string) => boolean | 'mark';
}

/** A request the fake saw, for assertions. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly user: string;
  readonly status: number;
}

export interface FakeApiServer {
  readonly port: number;
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Objects by path, e.g. "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef". */
  readonly objects: Map<string, Obj>;
  /** Stores an object (e.g. a kubelet's CSR) as if a client had created it. */
  put(collection: string, obj: Record<string, unknown>): Obj;
  /** A certificate (base64 PEM, as in CSR status) the test CA issues for a CSR's request, as the signer would. */
  issue(request: string): Promise<string>;
  /** Resolves when every pending signing has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** A CSR as a kubelet creates it on the API (pending: empty status). */
export const wireCsr = (c: CsrObject): Record<string, unknown> => ({
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: { name: c.name },
  spec: { request: c.request, signerName: c.signerName, usages: c.usages, username: c.username, groups: c.groups, ...(c.expirationSeconds ? { expirationSeconds: c.expirationSeconds } : {}) },
  status: {},
});
const ADMIN_GROUPS = ['kubeadm:cluster-admins', 'system:masters'];
const run = promisify(execFile);

const status = (code: number, reason: string, message: string): Record<string, unknown> => ({
  kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message,
});

/** Starts the fake on 127.0.0.1 (or `opts.host`). */
export async function startFakeApiServer(pki: TestPki, opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const objects = new Map<string, Obj>();
  const requests: SeenRequest[] = [];
  const signing = new Set<Promise<void>>();
  let rv = 100;
  let unavailable = opts.unavailableFirst ?? 0;
  let serial = 1;

  const store = (collection: string, obj: Obj): Obj => {
    rv += 1;
    const meta = { ...obj.metadata, resourceVersion: String(rv) } as Obj['metadata'];
    meta['creationTimestamp'] ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    meta['uid'] ??= `uid-${rv}`;
    const next: Obj = { ...obj, metadata: meta };
    if (next['stringData']) {
      const data = { ...(next['data'] as Record<string, string> | undefined) };
      for (const [k, v] of Object.entries(next['stringData'] as Record<string, string>)) data[k] = Buffer.from(v).toString('base64');
      delete next['stringData'];
      next['data'] = data;
    }
    objects.set(`${collection}/${meta.name}`, next);
    return next;
  };

  const issue = async (request: string): Promise<string> => {
    const file = join(pki.dir, `signed-${serial}`);
    serial += 1;
    writeFileSync(`${file}.csr`, Buffer.from(request, 'base64'));
    const { stdout } = await run('openssl', [
      'x509', '-req', '-in', `${file}.csr`, '-CA', pki.ca.certFile, '-CAkey', pki.ca.keyFile,
      '-set_serial', String(serial), '-days', '1', '-copy_extensions', 'copyall',
    ]);
    return Buffer.from(stdout).toString('base64');
  };

  const sign = async (path: string, csr: Obj): Promise<void> => {
    const certificate = await issue((csr['spec'] as { request: string }).request);
    const live = objects.get(path);
    if (live) store(CSR, { ...live, status: { ...(live['status'] as object), certificate } });
  };

  const handle = (method: string, url: URL, body: Obj | undefined): [number, unknown] => {
    const path = url.pathname;
    if (method === 'GET' && path === '/version') return [200, { major: '1', minor: '31', gitVersion: 'v1.31.2', platform: 'linux/amd64' }];
    if (method === 'GET' && path === '/readyz') return opts.readyz ? [opts.readyz.status, opts.readyz.body] : [200, 'ok'];
    const approval = new RegExp(`^${CSR}/([^/]+)/approval$`).exec(path);
    if (approval && method === 'PUT' && body) {
      const key = `${CSR}/${approval[1]}`;
      const live = objects.get(key);
      if (!live) return [404, status(404, 'NotFound', `certificatesigningrequests.certificates.k8s.io "${approval[1]}" not found`)];
      if (body.metadata['resourceVersion'] !== live.metadata['resourceVersion']) {
        return [409, status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again')];
      }
      const conditions = (body['status'] as { conditions?: unknown[] } | undefined)?.conditions ?? [];
      const saved = store(CSR, { ...live, status: { ...(live['status'] as object), conditions } });
      if (opts.signer && conditions.some((c) => (c as { type: string }).type === 'Approved')) {
        const p = sign(key, saved).finally(() => signing.delete(p));
        signing.add(p);
      }
      return [200, saved];
    }
    const eviction = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path);
    if (eviction && method === 'POST') {
      const key = `/api/v1/namespaces/${eviction[1]}/pods/${eviction[2]}`;
      const live = objects.get(key);
      if (!live) return [404, status(404, 'NotFound', `pods "${eviction[2]}" not found`)];
      const verdict = opts.evictionRefused?.(eviction[1] ?? '', eviction[2] ?? '') ?? false;
      if (verdict === true) return [429, status(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.")];
      if (verdict === 'mark') store(key.slice(0, key.lastIndexOf('/')), { ...live, metadata: { ...live.metadata, deletionTimestamp: new Date().toISOString() } });
      else objects.delete(key);
      return [201, status(201, '', '')];
    }
    const m = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(\/namespaces\/[^/]+)?\/([a-z]+)(?:\/([^/]+))?$/.exec(path);
    if (!m) return [404, status(404, 'NotFound', `the server could not find the requested resource (${path})`)];
    const collection = `${m[1]}${m[2] ?? ''}/${m[3]}`;
    const name = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
    const key = `${collection}/${name}`;
    const live = name === undefined ? undefined : objects.get(key);
    const notFound = status(404, 'NotFound', `${m[3]} "${name}" not found`);
    if (method === 'GET' && name === undefined) {
      const selector = (url.searchParams.get('labelSelector') ?? '').split(',').filter(Boolean).map((s) => s.split('='));
      // Without a namespace in the path a namespaced collection lists every namespace (GET /api/v1/pods).
      const everyNs = m[2] === undefined ? new RegExp(`^${m[1]}/namespaces/[^/]+/${m[3]}/[^/]+$`) : undefined;
      const field = (url.searchParams.get('fieldSelector') ?? '').split(',').filter(Boolean).map((s) => s.split('='));
      const items = [...objects.entries()]
        .filter(([k]) => (k.startsWith(`${collection}/`) && !k.slice(collection.length + 1).includes('/')) || everyNs?.test(k) === true)
        .filter(([, o]) => field.every(([k, v]) => k === 'spec.nodeName' && (o['spec'] as { nodeName?: string } | undefined)?.nodeName === v))
        .map(([, o]) => o)
        .filter((o) => selector.every(([k, v]) => (o.metadata['labels'] as Record<string, string> | undefined)?.[k ?? ''] === v))
        .map(({ apiVersion: _v, kind: _k, ...item }) => item); // as the real apiserver: only the list has apiVersion/kind
      return [200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items }];
    }
    if (method === 'GET') return live ? [200, live] : [404, notFound];
    if (method === 'DELETE') return live && objects.delete(key) ? [200, status(200, '', '')] : [404, notFound];
    if (method === 'POST' && body) {
      if (objects.has(`${collection}/${body.metadata.name}`)) return [409, status(409, 'AlreadyExists', `${m[3]} "${body.metadata.name}" already exists`)];
      return [201, store(collection, body)];
    }
    if (method === 'PUT' && body) {
      if (!live) return [404, notFound];
      const want = body.metadata['resourceVersion'];
      if (want !== undefined && want !== live.metadata['resourceVersion']) {
        return [409, status(409, 'Conflict', `Operation cannot be fulfilled on ${m[3]} "${name}": the object has been modified`)];
      }
      if (live['roleRef'] && JSON.stringify(live['roleRef']) !== JSON.stringify(body['roleRef'])) {
        return [422, status(422, 'Invalid', `${m[3]} "${name}" is invalid: roleRef: Invalid value: cannot change roleRef`)];
      }
      return [200, store(collection, { ...body, metadata: { ...body.metadata, uid: live.metadata['uid'], creationTimestamp: live.metadata['creationTimestamp'] } })];
    }
    return [405, status(405, 'MethodNotAllowed', `${method} is not supported`)];
  };

  const server = https.createServer(
    { key: pki.server.keyPem, cert: pki.server.certPem, ca: [pki.ca.certPem], requestCert: true, rejectUnauthorized: false },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://fake');
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const groups = [peer.subject?.O ?? []].flat();
        const user = socket.authorized ? String(peer.subject?.CN) : '(unauthenticated)';
        const reply = (code: number, payload: unknown): void => {
          requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, user, status: code });
          const text = typeof payload === 'string';
          res.writeHead(code, { 'content-type': text ? 'text/plain' : 'application/json', ...(code === 503 ? { 'retry-after': '0' } : {}) });
          res.end(text ? payload : JSON.stringify(payload));
        };
        if (unavailable > 0) {
          unavailable -= 1;
          return reply(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
        }
        if (!socket.authorized) return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
        if (!groups.some((g) => ADMIN_GROUPS.includes(g))) {
          const resource = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
          return reply(403, status(403, 'Forbidden', `${resource} is forbidden: User "${user}" cannot ${req.method?.toLowerCase()} resource "${resource}"`));
        }
        const text = Buffer.concat(chunks).toString('utf8');
        const [code, payload] = handle(req.method ?? 'GET', url, text ? (JSON.parse(text) as Obj) : undefined);
        reply(code, payload);
      });
    },
  );
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `https://${opts.host ?? '127.0.0.1'}:${port}`,
    requests,
    objects,
    put: (collection, obj) => store(collection, obj as Obj),
    issue,
    idle: async () => {
      while (signing.size > 0) await Promise.all([...signing]);
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}
