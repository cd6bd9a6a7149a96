/**
 * KubeClient + the HTTPS transport against a local HTTPS server with client-certificate auth.
 * There is no kube-apiserver binary here, so test/support/fake-apiserver.ts stands in for it (see
 * its header for what is real); TLS, certificates (openssl) and the sockets are real.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { createHttpsTransport, type TlsCredentials } from '../../src/kube/https-transport.js';
import { ApiError, Interrupted } from '../../src/shared/errors.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { makeTestPki, type TestPair, type TestPki } from './support/test-pki.js';

const clock = { now: () => new Date() };
let pki: TestPki;
let api: FakeApiServer;
const creds = (who: TestPair, ca = pki.ca): TlsCredentials => ({ caPem: ca.certPem, certPem: who.certPem, keyPem: who.keyPem });
const direct = (port: number, who = pki.admin, extra: Partial<ConstructorParameters<typeof KubeClient>[0]> = {}): KubeClient =>
  new KubeClient({ transport: createHttpsTransport(creds(who), { kind: 'direct', host: '127.0.0.1', port }), clock, initialDelayMs: 50, ...extra });
const SECRETS = '/api/v1/namespaces/kube-system/secrets';
const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'kube-system' }, stringData: { a: 'b' } });

beforeAll(async () => {
  pki = makeTestPki();
  api = await startFakeApiServer(pki);
});
afterAll(async () => api.close());

/** A Duplex that is not a net.Socket, like an ssh2 forwardOut channel. */
function channelTo(port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const ch = new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        sock.write(chunk, cb);
      },
      final(cb) {
        sock.end(cb);
      },
      destroy(err, cb) {
        sock.destroy();
        cb(err);
      },
    });
    sock.on('data', (c) => ch.push(c));
    sock.on('end', () => ch.push(null));
    sock.once('connect', () => resolve(ch));
    sock.once('error', reject);
  });
}

describe('KubeClient over HTTPS with client certificates', () => {
  it('creates, reads and lists objects with the admin certificate', async () => {
    const c = direct(api.port);
    expect(c.identity).toBe('O=kubeadm:cluster-admins, CN=kubernetes-admin');
    await c.call('POST', SECRETS, secret('one'));
    expect(await c.get<{ data: Record<string, string> }>(`${SECRETS}/one`)).toMatchObject({ data: { a: 'Yg==' } });
    expect(await c.get(`${SECRETS}/missing`)).toBeUndefined();
    expect((await c.list<{ metadata: { name: string } }>(SECRETS)).map((s) => s.metadata.name)).toContain('one');
    expect(api.requests.at(-1)).toMatchObject({ user: 'kubernetes-admin', status: 200 });
  });

  it('works over a caller-provided stream (the SSH forwardOut path), verifying 127.0.0.1 against the SANs', async () => {
    const t = createHttpsTransport(creds(pki.admin), {
      kind: 'stream', connect: () => channelTo(api.port), verifyName: '127.0.0.1', describe: 'https://127.0.0.1:6443 via ssh master01',
    });
    const c = new KubeClient({ transport: t, clock });
    expect(c.endpoint).toBe('https://127.0.0.1:6443 via ssh master01');
    expect(await c.list(SECRETS)).toEqual(expect.any(Array));
  });

  it('keeps one connection (one SSH channel, one TLS handshake) for sequential requests', async () => {
    let opened = 0;
    const t = createHttpsTransport(creds(pki.admin), {
      kind: 'stream', connect: () => ((opened += 1), channelTo(api.port)), verifyName: '127.0.0.1', describe: 'tunnel',
    });
    const c = new KubeClient({ transport: t, clock });
    for (let i = 0; i < 5; i += 1) await c.list(SECRETS);
    await c.call('POST', SECRETS, secret('two'));
    expect(opened).toBe(1);
    await t.close();
    await c.list(SECRETS); // a closed transport still works: it opens a new connection
    expect(opened).toBe(2);
  });

  it('401: a client certificate from another CA names the identity used and what to check', async () => {
    const err = await direct(api.port, pki.foreignAdmin).list(SECRETS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).message).toBe(
      `https://127.0.0.1:${api.port}: 401 Unauthorized: the apiserver did not accept the client certificate O=kubeadm:cluster-admins, CN=kubernetes-admin`,
    );
    expect((err as ApiError).hint).toMatch(/--client-ca-file/);
  });

  it('403: an identity without RBAC gets the identity, the request and the RBAC hint', async () => {
    const err = (await direct(api.port, pki.viewer).list(SECRETS).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(403);
    expect(err.message).toBe(`https://127.0.0.1:${api.port}: 403 Forbidden: O=viewers, CN=viewer may not GET ${SECRETS}`);
    expect(err.detail).toEqual(['apiserver: secrets is forbidden: User "viewer" cannot get resource "secrets"']);
    expect(err.hint).toMatch(/kubeadm:cluster-admins/);
  });

  it('refuses an apiserver whose certificate the cluster CA did not sign (no retry)', async () => {
    const t = createHttpsTransport(creds(pki.admin, pki.foreignAdmin), { kind: 'direct', host: '127.0.0.1', port: api.port });
    const err = (await new KubeClient({ transport: t, clock }).list(SECRETS).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toMatch(/the apiserver's certificate is not trusted: unable to verify the first certificate|self[- ]signed|unable to get local issuer/);
  });

  it('refuses an apiserver certificate that does not name the address used', async () => {
    const t = createHttpsTransport(creds(pki.admin), { kind: 'stream', connect: () => channelTo(api.port), verifyName: '10.0.0.1', describe: 'x' });
    const err = (await new KubeClient({ transport: t, clock }).list(SECRETS).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toMatch(/^x: the apiserver's certificate is not trusted: .*IP: 10\.0\.0\.1 is not in the cert's list/);
  });
});

describe('KubeClient retries while the apiserver comes up', () => {
  it('retries 503 answers with backoff until the apiserver is ready', async () => {
    const starting = await startFakeApiServer(pki, { unavailableFirst: 3 });
    const retries: string[] = [];
    try {
      await direct(starting.port, pki.admin, { onRetry: (r) => retries.push(r.reason) }).list(SECRETS);
      expect(retries).toEqual(['HTTP 503', 'HTTP 503', 'HTTP 503']);
    } finally {
      await starting.close();
    }
  });

  it('retries connection refused until a server starts late on the port', async () => {
    const probe = await startFakeApiServer(pki);
    const port = probe.port;
    await probe.close();
    const retries: string[] = [];
    const pending = direct(port, pki.admin, { onRetry: (r) => retries.push(r.reason), retryForMs: 15_000 }).list(SECRETS);
    await new Promise((r) => setTimeout(r, 700));
    const late = await startFakeApiServer(pki, { port });
    try {
      expect(await pending).toEqual([]);
      expect(retries.length).toBeGreaterThan(1);
      expect(retries[0]).toMatch(/ECONNREFUSED/);
    } finally {
      await late.close();
    }
  });

  it('gives up at the deadline with the attempts and a hint', async () => {
    const probe = await startFakeApiServer(pki);
    await probe.close();
    const err = (await direct(probe.port, pki.admin, { retryForMs: 600 }).list(SECRETS).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${probe.port}: kube-apiserver is not reachable after \\d+ attempts over \\d+ s: .*ECONNREFUSED`));
    expect(err.hint).toMatch(/systemctl status kube-apiserver/);
  });

  it('stops retrying when the run is interrupted', async () => {
    const probe = await startFakeApiServer(pki);
    await probe.close();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('SIGINT')), 300);
    const err = await direct(probe.port, pki.admin, { signal: ac.signal }).list(SECRETS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Interrupted);
  });
});
