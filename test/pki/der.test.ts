/**
 * The DER writer's primitives, and a cross-check: every certificate it produced parses with a third,
 * independent implementation (@peculiar/x509), which agrees on extensions, SANs and chain signatures.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { integer, oid, time, directoryString, tlv } from '../../src/pki/der.js';
import { certSpecs } from '../../src/pki/specs.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

describe('DER primitives', () => {
  it('encodes INTEGERs positive and minimal', () => {
    expect(hex(integer(Uint8Array.of(0x7f)))).toBe('02017f');
    expect(hex(integer(Uint8Array.of(0x9f)))).toBe('0202009f');
    expect(hex(integer(Uint8Array.of(0x00, 0x00, 0x45)))).toBe('020145');
    expect(hex(integer(Uint8Array.of(0x00, 0x80)))).toBe('02020080');
  });

  it('encodes OIDs with multi-byte arcs', () => {
    expect(hex(oid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(hex(oid('2.5.29.17'))).toBe('0603551d11');
  });

  it('switches from UTCTime to GeneralizedTime in 2050, without fractional seconds', () => {
    expect(Buffer.from(time(new Date('2049-12-31T23:59:59.999Z'))).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(Buffer.from(time(new Date('2050-01-01T00:00:00.500Z'))).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  });

  it('uses PrintableString only for its character set', () => {
    expect(directoryString('system:kube-proxy')[0]).toBe(0x13);
    expect(directoryString('user_name')[0]).toBe(0x0c);
    expect(directoryString('a@b')[0]).toBe(0x0c);
  });

  it('encodes long lengths', () => {
    expect(hex(tlv(0x04, new Uint8Array(200)).subarray(0, 3))).toBe('0481c8');
    expect(hex(tlv(0x04, new Uint8Array(300)).subarray(0, 4))).toBe('0482012c');
  });
});

describe('cross-check with @peculiar/x509', () => {
  it.each(['rsa-2048', 'ecdsa-p384'] as const)('parses and verifies every %s certificate the same way', async (alg) => {
    const inv = { ...exampleInventory(), pki: { ...exampleInventory().pki, keyAlgorithm: alg } };
    const bundle = await pkiFixture(inv);
    for (const spec of certSpecs(bundle.catalogue, inv).filter((s) => s.kind !== 'keypair')) {
      const cert = new x509.X509Certificate(bundle.certs.get(spec.id)!.certPem);
      const ca = new x509.X509Certificate(bundle.certs.get(spec.kind === 'ca' ? spec.id : spec.signer!)!.certPem);
      expect(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }), spec.id).toBe(true);
      expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca, spec.id).toBe(spec.kind === 'ca');
      expect(cert.getExtension(x509.KeyUsagesExtension)?.critical, spec.id).toBe(true);
      const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
      const names = san?.names.toJSON() ?? [];
      expect(names.filter((n) => n.type === 'dns').map((n) => n.value).sort(), spec.id).toEqual(spec.kind === 'ca' ? [spec.commonName] : [...spec.sans.dns].sort());
      expect(names.filter((n) => n.type === 'ip').length, spec.id).toBe(spec.kind === 'ca' ? 0 : spec.sans.ips.length);
      if (spec.kind === 'leaf') {
        expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
        expect(cert.issuer).toBe(ca.subject);
      }
    }
  });
});
