/**
 * Reads certificates and keys with Node's own X509Certificate/KeyObject (native, fast, no
 * @peculiar import on the read path so `pki check` starts quickly). Pure: parsing only.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from '../inventory/types.js';
import type { Usage } from './profile-types.js';
import { normaliseSans, type Sans } from './sans.js';

/** What kubesmith needs to know about an existing certificate. */
export interface CertInfo {
  readonly x509: X509Certificate;
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly sans: Sans;
  readonly usages: readonly Usage[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly algorithm: KeyAlgorithm | string;
}

const EKU_NAMES: Readonly<Record<string, Usage>> = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth' };

/** Parses a PEM certificate; throws (with OpenSSL's message) when it is not one. */
export function readCert(pem: string): CertInfo {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "BEGIN CERTIFICATE" block');
  const x = new X509Certificate(pem);
  const rdns = x.subject.split('\n');
  const values = (k: string): string[] => rdns.filter((r) => r.startsWith(`${k}=`)).map((r) => r.slice(k.length + 1));
  const san = (x.subjectAltName ?? '').split(', ').filter((s) => s !== '');
  return {
    x509: x,
    commonName: values('CN')[0] ?? '',
    organizations: values('O'),
    sans: normaliseSans(
      san.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
      san.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11)),
    ),
    usages: (x.keyUsage ?? []).map((oid) => EKU_NAMES[oid] ?? (oid as Usage)),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    isCa: x.ca,
    algorithm: keyAlgorithmOf(x.publicKey),
  };
}

/**
 * notAfter of a PEM certificate, and nothing else: what the expiry check needs, at half the cost of
 * readCert (names, SANs, usages and key algorithm are not decoded). Throws like readCert.
 */
export function certNotAfter(pem: string): Date {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "BEGIN CERTIFICATE" block');
  return new Date(new X509Certificate(pem).validTo);
}

/** "rsa-2048", "ecdsa-p256", ...; the raw type name for anything else. */
export function keyAlgorithmOf(k: KeyObject): KeyAlgorithm | string {
  const d = k.asymmetricKeyDetails;
  if (k.asymmetricKeyType === 'rsa') return `rsa-${d?.modulusLength ?? 0}`;
  if (k.asymmetricKeyType === 'ec') return d?.namedCurve === 'prime256v1' ? 'ecdsa-p256' : d?.namedCurve === 'secp384r1' ? 'ecdsa-p384' : `ec-${d?.namedCurve}`;
  return k.asymmetricKeyType ?? 'unknown';
}

/** Parses a PEM private key; throws when it is not one. */
export function readKey(pem: string): KeyObject {
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) throw new Error('no "BEGIN ... PRIVATE KEY" block');
  return createPrivateKey(pem);
}

/** True when `keyPem` is the private half of the certificate's public key. */
export function keyMatchesCert(key: KeyObject, cert: CertInfo): boolean {
  return cert.x509.checkPrivateKey(key);
}

/** True when `pub` (PEM SPKI) is the public half of `key`. */
export function keyMatchesPublic(key: KeyObject, publicPem: string): boolean {
  const a = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const b = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return a.equals(b);
}

/** True when `cert` names `ca` as issuer and `ca`'s key verifies its signature. */
export function signedBy(cert: CertInfo, ca: CertInfo): boolean {
  return cert.x509.checkIssued(ca.x509) && cert.x509.verify(ca.x509.publicKey);
}

/** The public half of a private key as PEM SPKI (`sa.pub`). */
export function publicPemOf(privatePem: string): string {
  return createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
}
