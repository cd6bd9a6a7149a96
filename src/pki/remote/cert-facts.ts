/**
 * Expiry and signer of the certificates found on hosts, each distinct certificate parsed once:
 * on 500 hosts the same CA and kube-proxy certificate come back 500 times. The signer is the
 * state's CA whose key verifies the signature, so a certificate signed by a foreign CA with the
 * same name is told apart. Pure (parsing and signature checks with node:crypto).
 */
import { renewalWindowMs } from '../renewal.js';
import { X509Certificate } from 'node:crypto';
import { readCert, type CertInfo } from '../x509-read.js';
import { certKeys } from './pem.js';

/** What the report shows about one certificate. */
export interface CertFacts {
  readonly notAfter: Date;
  /** The renewal window of its lifetime (renewal.ts). */
  readonly renewWithinMs: number;
  readonly signer: string;
  readonly isCa: boolean;
  /** SPKI (DER, base64), to say whether a differing certificate still has the state's key pair; computed on first use. */
  publicKey(): string;
}

/** Parses certificates on demand, remembering each by its bytes. */
export interface CertFactsCache {
  /** Facts of a PEM certificate; undefined when it does not parse. */
  of(pem: string): CertFacts | undefined;
  /** The certificate keys of a PEM text (pem.ts certKeys), remembered: expected PEMs repeat on every host. */
  keys(pem: string): readonly string[];
}

const DAY_MS = 86_400_000;

/** A cache that names signers among `cas` (state id -> PEM of each CA certificate). */
export function certFactsCache(cas: ReadonlyMap<string, string>): CertFactsCache {
  const parsedCas: Array<{ id: string; info: CertInfo }> = [];
  for (const [id, pem] of cas) {
    try {
      parsedCas.push({ id, info: readCert(pem) });
    } catch {
      // A CA the state cannot parse signs nothing here; `pki check` reports the file itself.
    }
  }
  const memo = new Map<string, CertFacts | undefined>();
  // Node's X509Certificate directly, not readCert: SANs and subject fields are not needed here, and
  // on 500 hosts a thousand kubelet certificates are parsed.
  const facts = (pem: string): CertFacts | undefined => {
    let x: X509Certificate;
    try {
      x = new X509Certificate(pem);
    } catch {
      return undefined;
    }
    const notAfter = new Date(x.validTo);
    const lifetimeDays = (notAfter.getTime() - new Date(x.validFrom).getTime()) / DAY_MS;
    let spki: string | undefined;
    return {
      notAfter,
      renewWithinMs: renewalWindowMs(lifetimeDays),
      signer: signerOf(x, parsedCas),
      isCa: x.ca,
      publicKey: () => (spki ??= x.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')),
    };
  };
  const keyMemo = new Map<string, readonly string[]>();
  const keys = (pem: string): readonly string[] => {
    let k = keyMemo.get(pem);
    if (k === undefined) keyMemo.set(pem, (k = certKeys(pem)));
    return k;
  };
  return {
    of(pem) {
      const key = keys(pem)[0] ?? '';
      if (!memo.has(key)) memo.set(key, facts(pem));
      return memo.get(key);
    },
    keys,
  };
}

function signerOf(x: X509Certificate, cas: ReadonlyArray<{ id: string; info: CertInfo }>): string {
  if (x.ca && x.checkIssued(x) && x.verify(x.publicKey)) return 'self-signed';
  const ca = cas.find((c) => x.checkIssued(c.info.x509) && x.verify(c.info.x509.publicKey));
  if (ca) return ca.id;
  const issuer = x.issuer.split('\n').find((r) => r.startsWith('CN=')) ?? x.issuer.replace(/\n/g, ', ');
  return `unknown (issuer ${issuer})`;
}
