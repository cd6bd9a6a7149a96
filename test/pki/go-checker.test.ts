/**
 * Every certificate and key kubesmith issues, for every key algorithm, parsed and verified by Go's
 * crypto/x509 (what kube-apiserver, the kubelet and etcd use): chain + EKU (x509.Verify), hostnames,
 * key pair (tls.X509KeyPair), PKCS#1/SEC1 keys, PKIX sa.pub. Fails in CI when go is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_ALGORITHMS, type Inventory } from '../../src/inventory/types.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { writeBundle } from '../support/pki-files.js';

const GO = '/usr/lib/go-1.23/bin/go';
const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'test/go-checker');
const BIN = join(ROOT, 'test/.work/go-checker');
const haveGo = existsSync(GO);
if (!haveGo && process.env.CI === 'true') throw new Error(`${GO} is missing: CI must install golang-1.23-go`);
if (!haveGo) console.warn(`skipping Go crypto/x509 checks: ${GO} not found (install golang-1.23-go)`);

/** Builds the checker once; rebuilt when main.go is newer than the cached binary. */
function buildChecker(): void {
  if (existsSync(BIN) && statSync(BIN).mtimeMs > statSync(join(SRC, 'main.go')).mtimeMs) return;
  mkdirSync(join(ROOT, 'test/.work'), { recursive: true });
  execFileSync(GO, ['build', '-o', BIN, '.'], {
    cwd: SRC,
    env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOCACHE: join(ROOT, 'test/.work/go-cache'), GOPATH: join(ROOT, 'test/.work/gopath') },
    stdio: 'pipe',
  });
}

function smallInventory(alg: Inventory['pki']['keyAlgorithm']): Inventory {
  const base = exampleInventory();
  return { ...base, pki: { ...base.pki, keyAlgorithm: alg }, hosts: [aHost('solo', '192.168.80.50', ['control-plane', 'etcd', 'worker']), aHost('w1', '192.168.80.51', ['worker'])] };
}

describe.skipIf(!haveGo)('Go crypto/x509 accepts every certificate and key', () => {
  beforeAll(() => buildChecker(), 180_000);

  const cases: [string, () => Inventory][] = [
    ['example inventory, rsa-2048', () => exampleInventory()],
    ['example inventory, system-masters admin identity', () => ({ ...exampleInventory(), pki: { ...exampleInventory().pki, adminIdentity: 'system-masters' } })],
    ...KEY_ALGORITHMS.map((alg): [string, () => Inventory] => [`every cert with ${alg}`, () => smallInventory(alg)]),
    // a CA NotAfter past 2050 is a GeneralizedTime; Go rejects fractional seconds there (PeculiarVentures/x509#73)
    ['CAs valid into the 2050s (GeneralizedTime)', () => ({ ...smallInventory('ecdsa-p256'), pki: { ...smallInventory('ecdsa-p256').pki, caValidityDays: 12000 } })],
  ];
  it.each(cases)('%s', async (_name, make) => {
    const inv = make();
    const dir = mkdtempSync(join(tmpdir(), 'kubesmith-go-'));
    const written = writeBundle(inv, await pkiFixture(inv), dir);
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ entries: written.certs, saKey: written.saKey, saPub: written.saPub }));
    let out: string;
    try {
      out = execFileSync(BIN, [manifest], { encoding: 'utf8' });
    } catch (err) {
      throw new Error(`go-checker failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
    }
    const ok = out.split('\n').filter((l) => l.startsWith('OK '));
    expect(ok).toHaveLength(written.certs.length + 2);
  });

  it('reports a key that does not belong to its certificate (the checker can fail)', async () => {
    const inv = exampleInventory();
    const dir = mkdtempSync(join(tmpdir(), 'kubesmith-go-'));
    const written = writeBundle(inv, await pkiFixture(inv), dir);
    const api = written.certs.find((c) => c.id === 'apiserver')!;
    const admin = written.certs.find((c) => c.id === 'admin')!;
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ entries: [{ ...api, key: admin.key }] }));
    const r = (() => {
      try {
        return { code: 0, out: execFileSync(BIN, [manifest], { encoding: 'utf8' }) };
      } catch (err) {
        return { code: (err as { status: number }).status, out: (err as { stdout: string }).stdout };
      }
    })();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL apiserver: key pair: .*private key does not match public key/);
  });
});
