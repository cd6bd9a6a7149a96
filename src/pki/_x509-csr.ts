/**
 * PKCS#10 parsing (and, for tests, kubelet-style CSR building) on @peculiar/x509. One of the two
 * modules allowed to import it (see test/architecture.test.ts); everything else sees plain objects.
 */
import 'reflect-metadata'; // must come first: @peculiar/x509 v2 uses tsyringe (pki-spec.md "Caveats" 1)
import * as x509 from '@peculiar/x509';
import { createPublicKey, webcrypto } from 'node:crypto';
import { formatIp, parseIp } from '../shared/net.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The CSR's subject split the way an approver needs it. */
export interface CsrSubject {
  readonly commonName?: string;
  readonly organizations: readonly string[];
  /** Every other RDN attribute (and any second CN) as "TYPE=value", e.g. "OU=ops". */
  readonly others: readonly string[];
}

/** A parsed certificate signing request: only plain data, safe to log. */
export interface ParsedCsr {
  readonly subject: CsrSubject;
  readonly dnsNames: readonly string[];
  /** Canonical text (RFC 5952 for IPv6). */
  readonly ipAddresses: readonly string[];
  readonly emails: readonly string[];
  readonly uris: readonly string[];
  /** Any other SAN type ("dn", "guid", "upn", "id") as "type:value". */
  readonly otherNames: readonly string[];
  /** "ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519", ...; "unknown" when node cannot tell. */
  readonly publicKeyAlgorithm: string;
  readonly isRsa: boolean;
  readonly signatureValid: boolean;
  /** OIDs of the extensions requested through the extensionRequest attribute. */
  readonly extensions: readonly string[];
}

const OID_SAN = '2.5.29.17';
const PEM_IN_BASE64 = /^LS0tLS1CRUdJT/; // base64("-----BEGIN"): Kubernetes' spec.request is base64(PEM)

/** Parses a PEM, base64 DER or base64(PEM) CSR and verifies its self-signature. Throws on garbage. */
/**
 * Decodes the first CERTIFICATE REQUEST block ourselves, tolerating blank lines and headers the way
 * Go's pem.Decode does (the library's PEM reader rejects a blank line before the END marker).
 */
function pemBodyToDer(text: string): Uint8Array | undefined {
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(text);
  if (!m || m[1] === undefined) return undefined;
  const body = m[1].split('\n').filter((l) => !l.includes(':')).join('').replace(/\s/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export async function parseCsr(input: string): Promise<ParsedCsr> {
  const text = input.trim();
  const source = PEM_IN_BASE64.test(text) ? Buffer.from(text, 'base64').toString('utf8') : text;
  const csr = new x509.Pkcs10CertificateRequest(pemBodyToDer(source) ?? source);
  const san = csr.getExtension(OID_SAN);
  const names = san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.items : [];
  const ofType = (t: string): string[] => names.filter((n) => n.type === t).map((n) => n.value);
  let signatureValid = false;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false; // malformed signature encodings are simply invalid
  }
  const key = keyAlgorithm(csr.publicKey.rawData);
  return {
    subject: subjectOf(csr.subjectName.toJSON()),
    dnsNames: ofType('dns'),
    ipAddresses: ofType('ip').map((ip) => {
      const parsed = parseIp(ip);
      return parsed ? formatIp(parsed) : ip;
    }),
    emails: ofType('email'),
    uris: ofType('url'),
    otherNames: names.filter((n) => !['dns', 'ip', 'email', 'url'].includes(n.type)).map((n) => `${n.type}:${n.value}`),
    publicKeyAlgorithm: key.name,
    isRsa: key.rsa,
    signatureValid,
    extensions: Array.from(csr.extensions, (e) => e.type),
  };
}

function subjectOf(json: ReturnType<x509.Name['toJSON']>): CsrSubject {
  let commonName: string | undefined;
  const organizations: string[] = [];
  const others: string[] = [];
  for (const rdn of json) {
    for (const [type, values] of Object.entries(rdn)) {
      for (const v of values) {
        if (type === 'CN' && commonName === undefined) commonName = v;
        else if (type === 'O') organizations.push(v);
        else others.push(`${type}=${v}`);
      }
    }
  }
  return commonName === undefined ? { organizations, others } : { commonName, organizations, others };
}

function keyAlgorithm(spki: ArrayBuffer): { name: string; rsa: boolean } {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const d = key.asymmetricKeyDetails ?? {};
    if (key.asymmetricKeyType === 'rsa') return { name: `rsa-${d.modulusLength ?? 0}`, rsa: true };
    if (key.asymmetricKeyType === 'ec') {
      const curves: Record<string, string> = { prime256v1: 'p256', secp384r1: 'p384', secp521r1: 'p521' };
      return { name: `ecdsa-${curves[d.namedCurve ?? ''] ?? d.namedCurve ?? 'unknown'}`, rsa: false };
    }
    return { name: key.asymmetricKeyType ?? 'unknown', rsa: false };
  } catch {
    return { name: 'unknown', rsa: false };
  }
}

/** What to put in a CSR built by buildCsr (tests, and tools that mimic a kubelet). */
export interface CsrRequest {
  readonly commonName?: string;
  readonly organizations?: readonly string[];
  /** Extra RDNs, e.g. [{ OU: ['ops'] }]. */
  readonly extraSubject?: ReadonlyArray<Record<string, string[]>>;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly emails?: readonly string[];
  readonly uris?: readonly string[];
  /** @default "ecdsa-p256" (what every kubelet generates) */
  readonly key?: 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-1024';
  /** Flip a bit of the signature, producing a well-formed CSR whose signature does not verify. */
  readonly corruptSignature?: boolean;
}

/**
 * Builds a CSR the way client-go's certificate manager does: fresh key, subject O then CN (Go's
 * RDN order), SANs in an extensionRequest, SHA-256 signature. Returns the PEM and the private key.
 */
export async function buildCsr(req: CsrRequest): Promise<{ readonly pem: string; readonly keyPem: string }> {
  const alg = req.key ?? 'ecdsa-p256';
  const params: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams = alg.startsWith('rsa')
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(alg.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: alg === 'ecdsa-p384' ? 'P-384' : 'P-256' };
  const keys = (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const name: Array<Record<string, string[]>> = [];
  if (req.organizations && req.organizations.length > 0) name.push({ O: [...req.organizations] });
  if (req.commonName !== undefined) name.push({ CN: [req.commonName] });
  name.push(...(req.extraSubject ?? []));
  const sans: x509.JsonGeneralName[] = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(req.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(req.emails ?? []).map((value) => ({ type: 'email' as const, value })),
    ...(req.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: alg.startsWith('rsa') ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', hash: 'SHA-256' },
    extensions: sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  const der = new Uint8Array(csr.rawData);
  if (req.corruptSignature) der[der.length - 2] = (der[der.length - 2] ?? 0) ^ 0x01; // inside the signature value
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    pem: x509.PemConverter.encode(der.buffer, 'CERTIFICATE REQUEST'),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}
