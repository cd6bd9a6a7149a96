/**
 * `kubesmith approve` end to end through runCli (and runApprove for --watch timing), against the
 * fake apiserver: there is no kube-apiserver binary here (test/support/fake-apiserver.ts says what
 * is real). The CSRs are real PKCS#10 requests built like a kubelet builds them; the fake's signer
 * issues approved ones with openssl, as kube-controller-manager would.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runApprove } from '../../src/cli/commands/approve.js';
import type { CommandContext } from '../../src/cli/command.js';
import { runCli } from '../../src/cli/run-cli.js';
import { serializeToken } from '../../src/pki/bootstrap-token.js';
import type { CsrObject } from '../../src/pki/csr.js';
import { savePkiState } from '../../src/state/pki-store.js';
import { startFakeApiServer, wireCsr, type FakeApiServer } from '../support/fake-apiserver.js';
import { bootstrapClientCsr, renewalClientCsr, servingCsr } from '../support/kubelet-csr.js';
import { makeTestPki, type TestPair, type TestPki } from './support/test-pki.js';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';

const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const TOKEN = { id: 'abcdef', secret: '0123456789abcdef', expires: new Date('2036-01-01T00:00:00Z') };
let pki: TestPki;
let api: FakeApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** A copy of inventory.example.yaml with a PKI state holding the test CA and the given admin cert. */
async function clusterDir(admin: TestPair = pki.admin): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-approve-'));
  copyFileSync(new URL('../../inventory.example.yaml', import.meta.url), join(dir, 'inventory.yaml'));
  await savePkiState(join(dir, '.kubesmith', 'demo', 'pki'), [
    { name: 'kubernetes-ca.crt', content: pki.ca.certPem, secret: false },
    { name: 'admin.crt', content: admin.certPem, secret: false },
    { name: 'admin.key', content: admin.keyPem, secret: true },
    { name: 'bootstrap-token.json', content: serializeToken(TOKEN), secret: true },
  ]);
  return dir;
}

const wire = wireCsr;

function io(): { out: () => string; err: () => string; streams: { stdout: PassThrough; stderr: PassThrough } } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { out: () => out, err: () => err, streams: { stdout, stderr } };
}

async function cli(argv: string[], cwd: string): Promise<CliResult> {
  return runCliCaptured(argv, { cwd });
}

const conditionsOf = (name: string): unknown => (api!.objects.get(`${CSR}/${name}`)?.['status'] as { conditions?: unknown }).conditions;

beforeAll(() => {
  pki = makeTestPki();
});

describe('kubesmith approve', () => {
  it('approves the inventory nodes\' CSRs, leaves the rest pending with reasons, prints a kubectl-like table', async () => {
    api = await startFakeApiServer(pki, { signer: true });
    const good = [await bootstrapClientCsr('node01', 'abcdef'), await servingCsr('node01', '192.168.80.11')];
    const bad = await servingCsr('node02', '10.9.9.9');
    const intruder = await bootstrapClientCsr('intruder', 'abcdef');
    const other = await renewalClientCsr('node01', { signerName: 'example.com/custom' });
    for (const c of [...good, bad, intruder, other]) api.put(CSR, wire(c));
    const dir = await clusterDir();

    const r = await cli(['approve', '-i', 'inventory.yaml', '--server', api.url], dir);
    expect(r.err).toContain('0/4 nodes have issued client and serving certificates (missing: master01, master02, node01, node02)');
    expect(r.err).toContain('2 kubelet CSRs left pending (see REASON)');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\s+DECISION\s+REASON$/);
    const row = (name: string): string => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    expect(row(good[0]!.name)).toMatch(/kubernetes\.io\/kube-apiserver-client-kubelet\s+system:bootstrap:abcdef\s+<none>\s+Approved\s+approved\s+client certificate for node01, requested with bootstrap token abcdef$/);
    expect(row(good[1]!.name)).toMatch(/kubernetes\.io\/kubelet-serving\s+system:node:node01\s+<none>\s+Approved\s+approved\s+serving certificate for node01 \(DNS node01, IP 192\.168\.80\.11\)$/);
    expect(row(bad.name)).toMatch(/Pending\s+ignore\s+SAN IP 10\.9\.9\.9 is not an address of node02 \(192\.168\.80\.12\)$/);
    expect(row(intruder.name)).toMatch(/Pending\s+ignore\s+node intruder is not a worker or control-plane host of .*inventory\.yaml$/);
    expect(row(other.name)).toMatch(/example\.com\/custom.*Pending\s+ignore\s+signer example\.com\/custom is not a kubelet signer/);

    // What the apiserver received: Approved conditions through /approval, nothing else written.
    for (const c of good) {
      expect(conditionsOf(c.name)).toEqual([expect.objectContaining({ type: 'Approved', status: 'True', reason: 'KubesmithApprove' })]);
    }
    for (const c of [bad, intruder, other]) expect(conditionsOf(c.name)).toBeUndefined();
    expect(api.requests.filter((q) => q.method !== 'GET').map((q) => q.path)).toEqual(good.map((c) => `${CSR}/${c.name}/approval`));

    // Second run: nothing left to do; the signer has issued both, so they show as Issued and done.
    await api.idle();
    const again = await cli(['approve', '-i', 'inventory.yaml', '--server', api.url, '--json'], dir);
    const report = JSON.parse(again.out) as { csrs: Array<{ name: string; decision: string; condition: string }>; nodes: unknown[] };
    expect(report.csrs.find((c) => c.name === good[1]!.name)).toMatchObject({ decision: 'done', condition: 'Approved,Issued' });
    expect(report.nodes).toContainEqual({ node: 'node01', client: true, serving: true });
    expect(api.requests.filter((q) => q.method !== 'GET')).toHaveLength(2);
  });

  it('--deny-unknown denies failing kubelet CSRs but never touches other signers', async () => {
    api = await startFakeApiServer(pki);
    const bad = await servingCsr('node02', '192.168.80.12', { x509: { uris: ['spiffe://evil'] } });
    const other = await renewalClientCsr('node01', { signerName: 'example.com/custom' });
    for (const c of [bad, other]) api.put(CSR, wire(c));
    const r = await cli(['approve', '-i', 'inventory.yaml', '--server', api.url, '--deny-unknown'], await clusterDir());
    expect(r.code).toBe(0);
    expect(conditionsOf(bad.name)).toEqual([
      expect.objectContaining({ type: 'Denied', reason: 'KubesmithDeny', message: 'kubesmith: serving CSRs must not carry URI SANs; this one has spiffe://evil' }),
    ]);
    expect(conditionsOf(other.name)).toBeUndefined();
  });

  it('--watch waits until every node has an issued client and serving certificate', async () => {
    api = await startFakeApiServer(pki, { signer: true });
    const hosts: Array<[string, string]> = [['master01', '192.168.80.10'], ['master02', '192.168.80.20'], ['node01', '192.168.80.11'], ['node02', '192.168.80.12']];
    for (const [n] of hosts.slice(0, 2)) api.put(CSR, wire(await bootstrapClientCsr(n)));
    const late = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 300));
      for (const [n, ip] of hosts) api!.put(CSR, wire(await servingCsr(n, ip)));
      for (const [n] of hosts.slice(2)) api!.put(CSR, wire(await bootstrapClientCsr(n)));
    };
    const o = io();
    const ctx = context(await clusterDir(), { watch: true, timeout: '20s', server: api.url }, o.streams);
    const [code] = await Promise.all([runApprove(ctx, deps()), late()]);
    expect(code).toBe(0);
    expect(o.err()).toContain('4/4 nodes have issued client and serving certificates\n');
    // Nothing can be issued before the first round approves it, so the first line names every node.
    expect(o.err().split('\n')[0]).toBe('waiting for certificates: master01 (client, serving), master02 (client, serving), node01 (client, serving), node02 (client, serving)');
    expect(api.requests.filter((q) => q.path.endsWith('/approval'))).toHaveLength(8);
  });

  it('--watch gives up at --timeout naming the nodes still without certificates', async () => {
    api = await startFakeApiServer(pki);
    // Already approved and issued for three nodes (no signer timing involved); node02 never asks.
    // The node is read from the issued certificate (system:node:NAME), so each carries its own.
    const approved = [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }];
    for (const [n, ip] of [['node01', '192.168.80.11'], ['master01', '192.168.80.10'], ['master02', '192.168.80.20']] as const) {
      for (const csr of [wire(await bootstrapClientCsr(n)), wire(await servingCsr(n, ip))]) {
        const certificate = await api.issue((csr['spec'] as { request: string }).request);
        api.put(CSR, { ...csr, status: { conditions: approved, certificate } });
      }
    }
    const o = io();
    const ctx = context(await clusterDir(), { watch: true, timeout: '1s', server: api.url }, o.streams);
    const err = await runApprove(ctx, deps()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_PHASE', message: 'approve: failed on 1 host' });
    expect((err as { detail: string[] }).detail).toEqual(['node02: kubelet certificates: no issued client or serving certificate after 1s']);
  });

  it('names the identity when the apiserver refuses the admin certificate (401)', async () => {
    api = await startFakeApiServer(pki);
    const r = await cli(['approve', '-i', 'inventory.yaml', '--server', api.url], await clusterDir(pki.foreignAdmin));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${api.url}: 401 Unauthorized: the apiserver did not accept the client certificate O=kubeadm:cluster-admins, CN=kubernetes-admin`);
  });

  it('rejects a bad --timeout or --server with exit 2', async () => {
    const dir = await clusterDir();
    expect(await cli(['approve', '-i', 'inventory.yaml', '--timeout', 'soon'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('--timeout soon is not a duration') });
    expect(await cli(['approve', '-i', 'inventory.yaml', '--server', 'http://x:1'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('is not an https://HOST[:PORT] URL') });
  });
});

function deps() {
  return {
    clock: { now: () => new Date() },
    pollMs: 100,
    openTunnel: () => Promise.reject(new Error('tests use --server')),
  };
}

function context(cwd: string, values: Record<string, string | boolean>, streams: { stdout: PassThrough; stderr: PassThrough }): CommandContext {
  return {
    values: { inventory: 'inventory.yaml', ...values },
    positionals: [],
    ...streams,
    env: {},
    cwd,
    signal: new AbortController().signal,
    color: false,
    isTTY: false,
    debug: false,
  };
}
