/**
 * certNotAfter (src/pki/x509-read.ts), the expiry read of gather-facts' leaf certificates: the same
 * date readCert gives, and the same refusal of what is not a certificate.
 */
import { describe, expect, it } from 'vitest';
import { certNotAfter, readCert } from '../../src/pki/x509-read.js';
import { datedCert } from '../support/dated-cert.js';

describe('certNotAfter', () => {
  it('agrees with readCert on past and future dates', async () => {
    for (const when of [new Date('2020-01-02T03:04:05Z'), new Date('2049-12-31T23:59:59Z')]) {
      const pem = await datedCert(when);
      expect(certNotAfter(pem)).toEqual(readCert(pem).notAfter);
      expect(certNotAfter(pem).getTime()).toBe(when.getTime());
    }
  });

  it('throws on a key or garbage, as readCert does', () => {
    expect(() => certNotAfter('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow();
    expect(() => certNotAfter('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n')).toThrow();
  });
});
