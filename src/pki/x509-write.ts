/**
 * Builds and signs X.509 v3 certificates with node:crypto and the DER writer in der.ts (pki-spec.md
 * §5 summary: "Node's own crypto plus an ASN.1 library"). Every rule Go enforces is decided here:
 * critical KU/BC, positive minimal serial, issuer = the CA's subject bytes copied, leaf AKI = the CA's
 * SKI copied, UTCTime/GeneralizedTime without fractional seconds, 4/16-byte IP SANs.
 */
import { createHash, createPrivateKey, createPublicKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { PkiError } from '../shared/errors.js';
import { ipBytes } from '../shared/net.js';
import { bits, children, directoryString, integer, NULL, octets, oid, readNode, seq, set, time, tlv, TRUE } from './der.js';
import type { Usage } from './profile-types.js';

const EKU_OID: Readonly<Record<Usage, string>> = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };
/** keyUsage BIT STRINGs: CA digitalSignature|keyEncipherment|keyCertSign, leaf digitalSignature|keyEncipherment. */
const KU_CA = Uint8Array.of(0x03, 0x02, 0x02, 0xa4);
const KU_LEAF = Uint8Array.of(0x03, 0x02, 0x05, 0xa0);

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

/** A CA ready to sign: its subject and SKI exactly as encoded in its certificate, and its key. */
export interface Signer {
  readonly subjectDer: Uint8Array;
  readonly ski: Uint8Array;
  readonly key: KeyObject;
}

/** Signature algorithm for a key: sha256WithRSAEncryption, ecdsa-with-SHA256 (P-256) or -SHA384 (P-384). */
function algorithmOf(key: KeyObject): { hash: string; id: Uint8Array } {
  if (key.asymmetricKeyType === 'rsa') return { hash: 'sha256', id: seq(oid('1.2.840.113549.1.1.11'), NULL) };
  if (key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return { hash: 'sha384', id: seq(oid('1.2.840.10045.4.3.3')) };
  return { hash: 'sha256', id: seq(oid('1.2.840.10045.4.3.2')) };
}

/** Subject in Go's order: O values, then CN; one attribute per RDN. */
function name(t: CertTemplate): Uint8Array {
  const rdn = (type: string, value: string): Uint8Array => set(seq(oid(type), directoryString(value)));
  return seq(...t.organizations.map((o) => rdn('2.5.4.10', o)), rdn('2.5.4.3', t.commonName));
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return seq(oid(id), ...(critical ? [TRUE] : []), octets(value));
}

function sanExtension(t: CertTemplate): Uint8Array[] {
  const names = [
    ...t.dns.map((d) => {
      if (!/^[\x21-\x7e]+$/.test(d)) throw new PkiError(`${t.commonName}: SAN "${d}" is not an ASCII DNS name (IA5String)`);
      return tlv(0x82, new TextEncoder().encode(d)); // [2] dNSName
    }),
    ...t.ips.map((ip) => {
      const b = ipBytes(ip);
      if (!b) throw new PkiError(`${t.commonName}: SAN "${ip}" is not an IP address`);
      return tlv(0x87, b); // [7] iPAddress: 4 or 16 raw bytes
    }),
  ];
  return names.length === 0 ? [] : [extension('2.5.29.17', false, seq(...names))];
}

/** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2 method 1, as Go < 1.25). */
function keyId(spki: Uint8Array): Uint8Array {
  const [, keyBits] = children(readNode(spki));
  if (!keyBits) throw new Error('malformed SubjectPublicKeyInfo');
  return new Uint8Array(createHash('sha1').update(keyBits.content.subarray(1)).digest());
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** TBSCertificate -> signed certificate PEM (signing runs in the libuv pool). */
async function signed(tbs: Uint8Array, key: KeyObject): Promise<string> {
  const alg = algorithmOf(key);
  const signature = await new Promise<Buffer>((resolve, reject) => sign(alg.hash, tbs, key, (err, sig) => (err ? reject(err) : resolve(sig))));
  const der = seq(tbs.subarray(0), alg.id, bits(new Uint8Array(signature)));
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function tbs(t: CertTemplate, issuer: Uint8Array, spki: Uint8Array, signerKey: KeyObject, extensions: readonly Uint8Array[]): Uint8Array {
  return seq(
    Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02), // [0] version v3
    integer(hexBytes(t.serialHex)),
    algorithmOf(signerKey).id,
    issuer,
    seq(time(t.notBefore), time(t.notAfter)),
    name(t),
    spki,
    tlv(0xa3, seq(...extensions)),
  );
}

const spkiOf = (keyPem: string): Uint8Array => new Uint8Array(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }));

/** Self-signed CA: KU DS|KE|CS critical, BC cA critical (no pathLen), SKI, SAN as given (DNS:<CN>). */
export async function createCa(t: CertTemplate, keyPem: string): Promise<string> {
  const key = createPrivateKey(keyPem);
  const spki = spkiOf(keyPem);
  const exts = [
    extension('2.5.29.15', true, KU_CA),
    extension('2.5.29.19', true, seq(TRUE)),
    extension('2.5.29.14', false, octets(keyId(spki))),
    ...sanExtension(t),
  ];
  return signed(tbs(t, name(t), spki, key, exts), key);
}

/** Loads a CA for signing: its subject and SKI are taken from the certificate's own bytes (SKI computed when it has none). */
export function loadSigner(caCertPem: string, caKeyPem: string): Signer {
  const raw = new Uint8Array(new X509Certificate(caCertPem).raw);
  const [tbsNode] = children(readNode(raw));
  const fields = children(tbsNode!);
  const subjectDer = fields[5]!.raw;
  const extsWrapper = fields.find((f) => f.tag === 0xa3);
  const exts = extsWrapper ? children(children(extsWrapper)[0]!) : [];
  const skiExt = exts.map(children).find((e) => Buffer.from(e[0]!.raw).equals(Buffer.from(oid('2.5.29.14'))));
  // An adopted CA made without an SKI (`pki adopt`): its leaves get the RFC 5280 method-1 key id.
  const ski = skiExt ? readNode(skiExt[skiExt.length - 1]!.content).content : keyId(spkiOf(caKeyPem));
  return { subjectDer, ski, key: createPrivateKey(caKeyPem) };
}

/** A leaf signed by `signer`: KU DS|KE critical, BC cA=FALSE critical, EKU, AKI = the CA's SKI copied, SANs. */
export async function createLeaf(t: CertTemplate, subjectKeyPem: string, signer: Signer): Promise<string> {
  const exts = [
    // kubeadm keeps keyEncipherment even for ECDSA keys (pki-spec.md §0)
    extension('2.5.29.15', true, KU_LEAF),
    extension('2.5.29.19', true, seq()), // cA FALSE: the DEFAULT is omitted, leaving an empty SEQUENCE
    extension('2.5.29.37', false, seq(...t.usages.map((u) => oid(EKU_OID[u])))),
    extension('2.5.29.35', false, seq(tlv(0x80, signer.ski))), // [0] keyIdentifier
    ...sanExtension(t),
  ];
  return signed(tbs(t, signer.subjectDer, spkiOf(subjectKeyPem), signer.key, exts), signer.key);
}

