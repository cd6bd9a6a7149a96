/**
 * pki-spec.md §0/§1b encoding rules, checked on the DER of every issued certificate, plus Node's
 * X509Certificate view (chain, signature, hostnames, IPs, validity window).
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KEY_ALGORITHMS, type Inventory } from '../../src/inventory/types.js';
import { createLeaf, loadSigner } from '../../src/pki/x509-write.js';
import { BACKDATE_MS } from '../../src/pki/issue.js';
import { certSpecs } from '../../src/pki/specs.js';
import { oidText, parseDer, tbsParts } from '../support/der.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';

const NOW = new Date('2026-06-01T12:34:56.789Z');
const DAY = 86_400_000;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const withPki = (over: Partial<Inventory['pki']>): Inventory => ({ ...exampleInventory(), pki: { ...exampleInventory().pki, ...over } });

describe.each(KEY_ALGORITHMS)('every certificate (%s)', (alg) => {
  const inv = withPki({ keyAlgorithm: alg });
  const bundleP = pkiFixture(inv, { now: NOW });

  it('chains, verifies and matches its SANs in Node X509Certificate', async () => {
    const bundle = await bundleP;
    for (const spec of certSpecs(bundle.catalogue, inv).filter((s) => s.kind !== 'keypair')) {
      const cert = new X509Certificate(bundle.certs.get(spec.id)!.certPem);
      const ca = new X509Certificate(bundle.certs.get(spec.kind === 'ca' ? spec.id : spec.signer!)!.certPem);
      expect(cert.checkIssued(ca), spec.id).toBe(true);
      expect(cert.verify(ca.publicKey), spec.id).toBe(true);
      expect(cert.ca, spec.id).toBe(spec.kind === 'ca');
      for (const dns of spec.kind === 'ca' ? [spec.commonName] : spec.sans.dns) expect(cert.checkHost(dns, { wildcards: false }), `${spec.id} ${dns}`).toBe(dns);
      for (const ip of spec.sans.ips) expect(cert.checkIP(ip), `${spec.id} ${ip}`).toBe(ip);
      expect(cert.checkHost('not-in-the-cert.example')).toBeUndefined();
      const from = new Date(cert.validFrom).getTime();
      const to = new Date(cert.validTo).getTime();
      const start = Math.floor(NOW.getTime() / 1000) * 1000;
      expect(from, spec.id).toBe(start - BACKDATE_MS);
      expect(to, spec.id).toBe(start + spec.validityDays * DAY);
      expect(cert.keyUsage ?? [], spec.id).toEqual(spec.usages.map((u) => (u === 'serverAuth' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2')));
    }
  });

  it('follows the Go/kubeadm DER rules (serial, issuer bytes, critical KU/BC, SKI/AKI, times)', async () => {
    const bundle = await bundleP;
    for (const spec of certSpecs(bundle.catalogue, inv).filter((s) => s.kind !== 'keypair')) {
      const t = tbsParts(bundle.certs.get(spec.id)!.certPem);
      const caT = tbsParts(bundle.certs.get(spec.kind === 'ca' ? spec.id : spec.signer!)!.certPem);
      const s = t.serial.value;
      expect(s[0]! >= 0x01 && s[0]! <= 0x7f, `${spec.id} serial positive, minimal`).toBe(true);
      expect(s.length * 8 - 2, `${spec.id} serial has >= 64 random bits`).toBeGreaterThanOrEqual(64);
      expect(hex(t.issuer.raw), `${spec.id} issuer == CA subject bytes`).toBe(hex(caT.subject.raw));
      expect(t.extensionCount, `${spec.id} no duplicate extensions`).toBe(t.extensions.size);
      const ku = t.extensions.get('2.5.29.15')!;
      const bc = t.extensions.get('2.5.29.19')!;
      expect(ku.critical && bc.critical, `${spec.id} KU and BC critical`).toBe(true);
      expect(t.extensions.get('2.5.29.37')?.critical ?? false).toBe(false);
      for (const time of [t.notBefore, t.notAfter]) {
        expect(time.tag, `${spec.id} UTCTime before 2050`).toBe(0x17);
        expect(Buffer.from(time.value).toString('latin1')).toMatch(/^\d{12}Z$/);
      }
      if (spec.kind === 'ca') {
        expect(hex(ku.value)).toBe('030202a4'); // DS|KE|CS
        expect(hex(bc.value)).toBe('30030101ff'); // cA TRUE, no pathLen
        expect(t.extensions.has('2.5.29.14')).toBe(true);
        expect(t.extensions.has('2.5.29.35')).toBe(false);
      } else {
        expect(hex(ku.value)).toBe('030205a0'); // DS|KE
        expect(hex(bc.value)).toBe('3000'); // cA FALSE as an empty SEQUENCE
        expect(t.extensions.has('2.5.29.14')).toBe(false);
        const aki = parseDer(t.extensions.get('2.5.29.35')!.value);
        const ski = parseDer(caT.extensions.get('2.5.29.14')!.value);
        expect(aki.children[0]!.tag).toBe(0x80);
        expect(hex(aki.children[0]!.value), `${spec.id} AKI == issuer SKI`).toBe(hex(ski.value));
      }
    }
  });
});

describe('encoding edge cases', () => {
  it('uses GeneralizedTime without fractional seconds for a NotAfter from 2050 on', async () => {
    const inv = withPki({ caValidityDays: 9300 }); // 2026-06-01 + 9300 days is in 2051
    const bundle = await pkiFixture(inv, { now: NOW });
    const t = tbsParts(bundle.certs.get('kubernetes-ca')!.certPem);
    expect(t.notAfter.tag).toBe(0x18);
    expect(Buffer.from(t.notAfter.value).toString('latin1')).toMatch(/^2051\d{10}Z$/);
    expect(new X509Certificate(bundle.certs.get('kubernetes-ca')!.certPem).validTo).toMatch(/2051/);
  });

  it('clamps a leaf NotAfter to its CA', async () => {
    const bundle = await pkiFixture(withPki({ caValidityDays: 100, leafValidityDays: 365 }), { now: NOW });
    const ca = new X509Certificate(bundle.certs.get('kubernetes-ca')!.certPem);
    const leaf = new X509Certificate(bundle.certs.get('apiserver')!.certPem);
    expect(leaf.validTo).toBe(ca.validTo);
  });

  it('writes PrintableString where legal and UTF8String otherwise (Go rejects "_" or "@" in PrintableString)', async () => {
    const bundle = await pkiFixture(exampleInventory(), { now: NOW });
    const ca = bundle.certs.get('kubernetes-ca')!;
    const signer = loadSigner(ca.certPem, ca.keyPem!);
    const pem = await createLeaf(
      { commonName: 'user_name@x', organizations: ['system:masters'], usages: ['clientAuth'], dns: [], ips: [], serialHex: '4f', notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY) },
      bundle.certs.get('admin')!.keyPem!,
      signer,
    );
    const subject = tbsParts(pem).subject;
    const attrs = subject.children.map((rdn) => rdn.children[0]!).map((atv) => ({ oid: oidText(atv.children[0]!.value), tag: atv.children[1]!.tag }));
    expect(attrs).toEqual([
      { oid: '2.5.4.10', tag: 0x13 }, // O=system:masters: PrintableString (":" is legal)
      { oid: '2.5.4.3', tag: 0x0c }, // CN=user_name@x: UTF8String
    ]);
    expect(hex(tbsParts(pem).serial.value)).toBe('4f');
  });

  it('puts the service IP, default names, every control-plane host and loopback into the apiserver cert', async () => {
    const bundle = await pkiFixture(exampleInventory(), { now: NOW });
    const x = new X509Certificate(bundle.certs.get('apiserver')!.certPem);
    for (const ip of ['10.0.0.1', '127.0.0.1', '192.168.80.10', '192.168.80.20']) expect(x.checkIP(ip)).toBe(ip);
    for (const dns of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', 'master01', 'master02']) expect(x.checkHost(dns)).toBe(dns);
    expect(x.checkIP('192.168.80.11')).toBeUndefined(); // a worker is not an apiserver
  });
});
