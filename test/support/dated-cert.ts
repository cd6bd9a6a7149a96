/**
 * Self-signed certificates with a chosen validity, made by the production writer
 * (src/pki/x509-write.ts) with a fixture key: for tests that need one certificate already expired
 * and one still valid (expiry probes of deployed files).
 */
import { readFileSync } from 'node:fs';
import { createCa } from '../../src/pki/x509-write.js';

const KEY = new URL('../fixtures/keys/ecdsa-p256/00.pem', import.meta.url);

/** The fixture private key the certificates are made with (PEM). */
export function datedCertKey(): string {
  return readFileSync(KEY, 'utf8');
}

/** A certificate valid from a day before `notAfter` until `notAfter`. */
export function datedCert(notAfter: Date, commonName = 'dated'): Promise<string> {
  return createCa(
    { commonName, organizations: [], usages: ['clientAuth'], dns: [], ips: [], serialHex: '4a'.repeat(8), notBefore: new Date(notAfter.getTime() - 86_400_000), notAfter },
    datedCertKey(),
  );
}
