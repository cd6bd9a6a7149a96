/**
 * `openssl verify` accepts every issued certificate against its CA (with -x509_strict, and with
 * -purpose sslserver / sslclient per its usages), for RSA and ECDSA PKIs; and rejects cross-CA chains.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_ALGORITHMS, type Inventory } from '../../src/inventory/types.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { writeBundle } from '../support/pki-files.js';

function verify(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', ['verify', '-x509_strict', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe.each(KEY_ALGORITHMS)('openssl verify (%s)', (alg) => {
  it('accepts every certificate against its CA, for each of its purposes', async () => {
    const inv: Inventory = { ...exampleInventory(), pki: { ...exampleInventory().pki, keyAlgorithm: alg } };
    const { certs } = writeBundle(inv, await pkiFixture(inv), mkdtempSync(join(tmpdir(), 'kubesmith-openssl-')));
    expect(certs.length).toBeGreaterThan(15);
    for (const c of certs) {
      const plain = verify(['-CAfile', c.ca, c.cert]);
      expect(plain.out, c.id).toContain(': OK');
      for (const u of c.usages) {
        const purpose = u === 'serverAuth' ? 'sslserver' : 'sslclient';
        const r = verify(['-purpose', purpose, '-CAfile', c.ca, c.cert]);
        expect(r.ok, `${c.id} ${purpose}: ${r.out}`).toBe(true);
      }
      if (!c.isCA && !c.usages.includes('serverAuth')) {
        // a client-only certificate must not pass as a TLS server
        expect(verify(['-purpose', 'sslserver', '-CAfile', c.ca, c.cert]).ok, c.id).toBe(false);
      }
      const key = spawnSync('openssl', ['pkey', '-in', c.key, '-noout'], { encoding: 'utf8' });
      expect(key.status, `${c.id} key parses`).toBe(0);
    }
  });

  it('rejects a leaf against another CA (the three CAs are separate trust roots)', async () => {
    const inv: Inventory = { ...exampleInventory(), pki: { ...exampleInventory().pki, keyAlgorithm: alg } };
    const { certs } = writeBundle(inv, await pkiFixture(inv), mkdtempSync(join(tmpdir(), 'kubesmith-openssl-')));
    const byId = new Map(certs.map((c) => [c.id, c]));
    const r = verify(['-CAfile', byId.get('kubernetes-ca')!.cert, byId.get('apiserver-etcd-client')!.cert]);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/unable to get local issuer certificate/);
    expect(verify(['-CAfile', byId.get('etcd-ca')!.cert, byId.get('front-proxy-client')!.cert]).ok).toBe(false);
  });
});

describe('key file formats', () => {
  it('writes PKCS#1 RSA and SEC1 EC private keys, and a PKIX sa.pub', async () => {
    for (const [alg, header] of [['rsa-2048', 'RSA PRIVATE KEY'], ['ecdsa-p256', 'EC PRIVATE KEY']] as const) {
      const inv: Inventory = { ...exampleInventory(), pki: { ...exampleInventory().pki, keyAlgorithm: alg } };
      const b = await pkiFixture(inv);
      for (const m of b.certs.values()) expect(m.keyPem).toContain(`-----BEGIN ${header}-----`);
      expect(b.serviceAccount.privatePem).toContain(`-----BEGIN ${header}-----`);
      expect(b.serviceAccount.publicPem).toContain('-----BEGIN PUBLIC KEY-----');
    }
  });
});
