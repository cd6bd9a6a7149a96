/**
 * `kubesmith approve` without --server: SSH (a real OpenSSH server on 127.0.0.1, real ssh2 client,
 * host key checked against known_hosts) to the first control-plane host, then HTTPS through the
 * forwarded channel to that host's 127.0.0.1:<apiServer.port>. The apiserver at the other end is
 * the fake (no kube-apiserver binary exists here; see test/support/fake-apiserver.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { savePkiState } from '../../src/state/pki-store.js';
import { startFakeApiServer, wireCsr, type FakeApiServer } from '../support/fake-apiserver.js';
import { servingCsr } from '../support/kubelet-csr.js';
import { freePort, startLocalSshd, unavailableReason, type LocalSshd } from './support/local-sshd.js';
import { makeTestPki } from './support/test-pki.js';
import { runCliCaptured } from '../support/cli-run.js';

const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const skip = unavailableReason();
if (skip) console.warn(`skipping approve-over-ssh tests: ${skip}`);

describe.skipIf(skip !== undefined)('kubesmith approve through SSH to the first control-plane host', () => {
  let sshd: LocalSshd;
  let api: FakeApiServer;
  let dir: string;

  beforeAll(async () => {
    const pki = makeTestPki();
    [sshd, api] = await Promise.all([startLocalSshd(), startFakeApiServer(pki)]);
    dir = mkdtempSync(join(tmpdir(), 'kubesmith-approve-ssh-'));
    writeFileSync(
      join(dir, 'inventory.yaml'),
      [
        'apiVersion: kubesmith/v1alpha1',
        'cluster:',
        '  name: demo',
        '  kubernetesVersion: v1.31.2',
        '  apiServer:',
        `    port: ${api.port}`,
        'ssh:',
        '  user: root',
        `  port: ${sshd.port}`,
        `  identityFile: ${sshd.identityFile}`,
        '  agent: false',
        `  knownHostsFile: ${sshd.knownHostsFile}`,
        'hosts:',
        '  - { name: master01, address: 127.0.0.1, internalIP: 192.168.80.10, roles: [control-plane, etcd] }',
        '  - { name: node01, address: 192.168.80.11, roles: [worker] }',
        '',
      ].join('\n'),
    );
    await savePkiState(join(dir, '.kubesmith', 'demo', 'pki'), [
      { name: 'kubernetes-ca.crt', content: pki.ca.certPem, secret: false },
      { name: 'admin.crt', content: pki.admin.certPem, secret: false },
      { name: 'admin.key', content: pki.admin.keyPem, secret: true },
    ]);
  });
  afterAll(async () => {
    await Promise.all([sshd?.stop(), api?.close()]);
  });

  it('approves a serving CSR through the SSH-forwarded channel', async () => {
    const csr = await servingCsr('node01', '192.168.80.11');
    api.put(CSR, wireCsr(csr));
    const { code, out, err } = await runCliCaptured(['approve', '-i', 'inventory.yaml'], { cwd: dir });
    expect(err).toContain('0/2 nodes have issued client and serving certificates');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`${csr.name}\\s.*Approved\\s+approved\\s+serving certificate for node01`));
    expect(api.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([`${CSR}/${csr.name}/approval`]);
  });

  it('skips a control-plane host that does not answer SSH and uses the next one', async () => {
    const closed = await freePort();
    // Two control planes make ha default to local-proxy, where kubesmith reaches a host's own
    // apiserver at its internalIP (127.0.0.1 is nginx there): master01's is where the fake listens.
    const inv = readFileSync(join(dir, 'inventory.yaml'), 'utf8').replace(
      '  - { name: master01, address: 127.0.0.1, internalIP: 192.168.80.10,',
      `  - { name: master00, address: 127.0.0.1, internalIP: 192.168.80.9, roles: [control-plane], ssh: { port: ${closed} } }\n  - { name: master01, address: 127.0.0.1, internalIP: 127.0.0.1,`,
    );
    expect(inv).toContain('master00');
    writeFileSync(join(dir, 'two-masters.yaml'), inv);
    const before = api.requests.length;
    const { code, out, err } = await runCliCaptured(['approve', '-i', 'two-masters.yaml'], { cwd: dir });
    expect(code, err).toBe(0);
    expect(out).toMatch(/^NAME\s+AGE/);
    expect(api.requests.length).toBeGreaterThan(before);
  });

  it('refuses an unknown SSH host key before any API request (the path really is SSH)', async () => {
    const inv = readFileSync(join(dir, 'inventory.yaml'), 'utf8').replace(sshd.knownHostsFile, join(dir, 'empty_known_hosts'));
    writeFileSync(join(dir, 'empty_known_hosts'), '');
    writeFileSync(join(dir, 'strict.yaml'), inv);
    const before = api.requests.length;
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await runCli(['approve', '-i', 'strict.yaml'], { stdout: new PassThrough(), stderr, env: {}, cwd: dir, signal: new AbortController().signal });
    expect(code).toBe(1);
    expect(err).toMatch(/^error: master01: .*host key/im);
    expect(api.requests.length).toBe(before);
  });
});
