/**
 * The only module that touches @peculiar/x509 (pki-spec.md "Decision"): builds and signs certificates
 * on Node's WebCrypto (native OpenSSL). Everything Go would reject is decided here: critical KU/BC,
 * leaf AKI copied from the CA's SKI, issuer copied from the CA's subject, no fractional seconds.
 */
import 'reflect-metadata'; // why: @peculiar/x509 v2 uses tsyringe, which needs the Reflect polyfill first
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Usage } from './profile-types.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type SigningAlgorithm = webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams;

const EKU: Readonly<Record<Usage, string>> = { serverAuth: x509.ExtendedKeyUsage.serverAuth, clientAuth: x509.ExtendedKeyUsage.clientAuth };

/** A CA loaded once per run and reused for every leaf it signs. */
export interface Signer {
  readonly subject: x509.Name;
  readonly skiHex: string;
  readonly key: CryptoKey;
  readonly algorithm: SigningAlgorithm;
}

/** What a new certificate says; `serialHex` comes from injected entropy, dates from the injected clock. */
export interface CertTemplate {
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly usages: readonly Usage[];
  readonly dns: readonly string[];
  readonly ips: readonly string[];
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Signing parameters for a private key: RSA -> sha256WithRSA, P-256 -> ecdsa-SHA256, P-384 -> ecdsa-SHA384. */
async function importSigningKey(keyPem: string): Promise<{ key: CryptoKey; algorithm: SigningAlgorithm }> {
  const ko = createPrivateKey(keyPem);
  const der = ko.export({ type: 'pkcs8', format: 'der' });
  if (ko.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']), algorithm: alg };
  }
  const curve = ko.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
  const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
  return { key, algorithm: { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' } };
}

/** DER SubjectPublicKeyInfo of a private key's public half. */
function spkiOf(keyPem: string): ArrayBuffer {
  const der = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

/** Subject in Go's order (O before CN); PrintableString where legal, UTF8String otherwise (library default). */
function nameOf(t: CertTemplate): x509.Name {
  return new x509.Name([...t.organizations.map((o) => ({ O: [o] })), { CN: [t.commonName] }]);
}

function sanExtension(t: CertTemplate): x509.Extension[] {
  const names = [...t.dns.map((value) => ({ type: 'dns' as const, value })), ...t.ips.map((value) => ({ type: 'ip' as const, value }))];
  return names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names, false)];
}

/** Self-signed CA: KU DS|KE|CS critical, BC cA critical, SKI, SAN DNS:<CN> (as kubeadm). */
export async function createCa(t: CertTemplate, keyPem: string): Promise<string> {
  const { key, algorithm } = await importSigningKey(keyPem);
  const spki = spkiOf(keyPem);
  const name = nameOf(t);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: t.serialHex,
    subject: name,
    issuer: name,
    notBefore: t.notBefore,
    notAfter: t.notAfter,
    publicKey: spki,
    signingKey: key,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
      new x509.BasicConstraintsExtension(true, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(spki),
      ...sanExtension(t),
    ],
  });
  return cert.toString('pem');
}

/** Loads a CA certificate and key for signing. */
export async function loadSigner(caCertPem: string, caKeyPem: string): Promise<Signer> {
  const ca = new x509.X509Certificate(caCertPem);
  const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!ski) throw new Error('CA certificate has no subjectKeyIdentifier');
  const { key, algorithm } = await importSigningKey(caKeyPem);
  return { subject: ca.subjectName, skiHex: ski.keyId, key, algorithm };
}

/** A leaf signed by `signer`: KU DS|KE critical, BC cA=FALSE critical, EKU, SANs, AKI = the CA's SKI copied. */
export async function createLeaf(t: CertTemplate, publicKeyPem: string, signer: Signer): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: t.serialHex,
    subject: nameOf(t),
    issuer: signer.subject,
    notBefore: t.notBefore,
    notAfter: t.notAfter,
    publicKey: spkiOf(publicKeyPem),
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [
      // kubeadm keeps keyEncipherment even for ECDSA keys (pki-spec.md §0)
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension(t.usages.map((u) => EKU[u]), false),
      new x509.AuthorityKeyIdentifierExtension(signer.skiHex, false),
      ...sanExtension(t),
    ],
  });
  return cert.toString('pem');
}
