/**
 * Cross-checks with real parts: CSRs made by Go's crypto/x509 exactly as the kubelet's certificate
 * manager makes them are judged by decideCsr; and for CSRs kubesmith's test builder makes, parseCsr
 * must see what Go (kube-apiserver, kube-controller-manager) and openssl see. Needs go (CI has it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCsr, parseCsr, type CsrRequest } from '../../src/pki/_x509-csr.js';
import { CLIENT_SIGNER, decideCsr, SERVING_SIGNER, type CsrObject } from '../../src/pki/csr.js';
import { exampleInventory } from '../support/inventory-builder.js';

const GO = '/usr/lib/go-1.23/bin/go';
const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'test/kube/go-csr');
const BIN = join(ROOT, 'test/.work/go-csr');
const haveGo = existsSync(GO);
if (!haveGo && process.env['CI'] === 'true') throw new Error(`${GO} is missing: CI must install golang-1.23-go`);
if (!haveGo) console.warn(`skipping Go CSR cross-checks: ${GO} not found (install golang-1.23-go)`);

const work = mkdtempSync(join(tmpdir(), 'kubesmith-go-csr-'));
let n = 0;
const file = (pem: string): string => {
  const f = join(work, `${(n += 1)}.pem`);
  writeFileSync(f, pem);
  return f;
};
const goMake = (...args: string[]): string => execFileSync(BIN, ['make', ...args], { encoding: 'utf8' });
const goInspect = (pem: string): Record<string, unknown> => JSON.parse(execFileSync(BIN, ['inspect', file(pem)], { encoding: 'utf8' })) as Record<string, unknown>;
/** openssl 3.0's `req -verify` exits 0 even on failure, so its message is what counts. */
const opensslVerifies = (pem: string): boolean => {
  const r = spawnSync('openssl', ['req', '-in', file(pem), '-noout', '-verify'], { encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  if (!/self-signature verify (OK|failure)/.test(text)) throw new Error(`unexpected openssl output: ${text}`);
  return /self-signature verify OK/.test(text);
};
/** Flips one bit inside the signature value, keeping the DER well-formed. */
const tamper = (pem: string): string => {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der[der.length - 2] = (der[der.length - 2] ?? 0) ^ 1;
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
};

const ctx = { inventory: exampleInventory(), maxExpirationSeconds: 365 * 86400, bootstrapTokenIds: ['abcdef'] };
function csr(pem: string, signerName: string, username: string, usages: string[]): CsrObject {
  const groups = username.startsWith('system:bootstrap:') ? ['system:bootstrappers'] : ['system:nodes'];
  return { name: 'csr-go', signerName, username, groups, usages, request: Buffer.from(pem).toString('base64'), conditions: [] };
}

describe.skipIf(!haveGo)('kubelet CSRs made by Go crypto/x509', () => {
  beforeAll(() => {
    if (existsSync(BIN) && statSync(BIN).mtimeMs > statSync(join(SRC, 'main.go')).mtimeMs) return;
    mkdirSync(join(ROOT, 'test/.work'), { recursive: true });
    execFileSync(GO, ['build', '-o', BIN, '.'], {
      cwd: SRC,
      env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOCACHE: join(ROOT, 'test/.work/go-cache'), GOPATH: join(ROOT, 'test/.work/gopath') },
      stdio: 'pipe',
    });
  }, 180_000);

  it('approves the client and serving CSRs a kubelet sends (ECDSA P-256, and RSA with key encipherment)', async () => {
    const client = await decideCsr(csr(goMake('client', 'node01'), CLIENT_SIGNER, 'system:bootstrap:abcdef', ['digital signature', 'client auth']), ctx);
    expect(client).toEqual({ decision: 'approve', kind: 'client', node: 'node01', reason: 'client certificate for node01, requested with bootstrap token abcdef' });
    const serving = await decideCsr(csr(goMake('serving', 'node02', '192.168.80.12'), SERVING_SIGNER, 'system:node:node02', ['digital signature', 'server auth']), ctx);
    expect(serving).toEqual({ decision: 'approve', kind: 'serving', node: 'node02', reason: 'serving certificate for node02 (DNS node02, IP 192.168.80.12)' });
    const rsa = await decideCsr(csr(goMake('rsa-client', 'master01'), CLIENT_SIGNER, 'system:node:master01', ['digital signature', 'key encipherment', 'client auth']), ctx);
    expect(rsa).toMatchObject({ decision: 'approve', reason: 'client certificate renewal by master01 itself' });
  });

  it('rejects a Go-made serving CSR for a foreign IP, and one whose signature was altered', async () => {
    const foreign = await decideCsr(csr(goMake('serving', 'node01', '192.168.80.11', '10.0.0.99'), SERVING_SIGNER, 'system:node:node01', ['digital signature', 'server auth']), ctx);
    expect(foreign).toMatchObject({ decision: 'ignore', reason: 'SAN IP 10.0.0.99 is not an address of node01 (192.168.80.11)' });
    const altered = tamper(goMake('serving', 'node01', '192.168.80.11'));
    expect(goInspect(altered)['signatureValid']).toBe(false); // Go agrees it is broken
    const d = await decideCsr(csr(altered, SERVING_SIGNER, 'system:node:node01', ['digital signature', 'server auth']), ctx);
    expect(d).toMatchObject({ decision: 'ignore', reason: 'the CSR self-signature does not verify (altered, or not signed by its own key)' });
  });

  const built: ReadonlyArray<[string, CsrRequest]> = [
    ['client, ECDSA', { commonName: 'system:node:a', organizations: ['system:nodes'] }],
    ['serving with IPv6 and two names', { commonName: 'system:node:a', organizations: ['system:nodes'], dnsNames: ['a', 'a.lab'], ipAddresses: ['10.0.0.1', '2001:db8:0:0:0:0:0:1'] }],
    ['email and URI SANs, extra O', { commonName: 'x', organizations: ['o1', 'o2'], emails: ['e@x'], uris: ['spiffe://c/x'] }],
    ['RSA 2048', { commonName: 'system:node:b', organizations: ['system:nodes'], key: 'rsa-2048' }],
    ['ECDSA P-384', { commonName: 'system:node:b', organizations: ['system:nodes'], key: 'ecdsa-p384' }],
    ['corrupted signature', { commonName: 'system:node:c', organizations: ['system:nodes'], dnsNames: ['c'], corruptSignature: true }],
  ];
  it.each(built)('parseCsr sees what Go and openssl see: %s', async (_label, req) => {
    const { pem } = await buildCsr(req);
    const ours = await parseCsr(pem);
    expect({
      commonName: ours.subject.commonName,
      organizations: ours.subject.organizations,
      dnsNames: ours.dnsNames,
      ipAddresses: ours.ipAddresses,
      emails: ours.emails,
      uris: ours.uris,
      publicKeyAlgorithm: ours.publicKeyAlgorithm,
      signatureValid: ours.signatureValid,
    }).toEqual(goInspect(pem));
    expect(ours.signatureValid).toBe(opensslVerifies(pem));
    expect(ours.signatureValid).toBe(req.corruptSignature !== true);
  });
});
