/**
 * Expiry and signer of the certificates found on hosts, each distinct certificate parsed once:
 * on 500 hosts the same CA and kube-proxy certificate come back 500 times. The signer is the
 * state's CA whose key verifies the signature, so a certificate signed by a foreign CA with the
 * same name is told apart. Pure (parsing and signature checks with node:crypto).
 */
import { renewalWindowMs } from '../renewal.js';
import { readCert, signedBy, type CertInfo } from '../x509-read.js';
import { certKey } from './pem.js';

/** What the report shows about one certificate. */
export interface CertFacts {
  readonly notAfter: Date;
  /** The renewal window of its lifetime (renewal.ts). */
  readonly renewWithinMs: number;
  readonly signer: string;
  readonly isCa: boolean;
  /** SPKI, to say whether a differing certificate still has the state's key pair. */
  readonly publicKey: string;
}

/** Parses certificates on demand, remembering each by its bytes. */
export interface CertFactsCache {
  /** Facts of a PEM certificate; undefined when it does not parse. */
  of(pem: string): CertFacts | undefined;
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
  const facts = (pem: string): CertFacts | undefined => {
    let info: CertInfo;
    try {
      info = readCert(pem);
    } catch {
      return undefined;
    }
    const lifetimeDays = (info.notAfter.getTime() - info.notBefore.getTime()) / DAY_MS;
    return {
      notAfter: info.notAfter,
      renewWithinMs: renewalWindowMs(lifetimeDays),
      signer: signerOf(info, parsedCas),
      isCa: info.isCa,
      publicKey: info.x509.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
  };
  return {
    of(pem) {
      const key = certKey(pem);
      if (!memo.has(key)) memo.set(key, facts(pem));
      return memo.get(key);
    },
  };
}

function signerOf(info: CertInfo, cas: ReadonlyArray<{ id: string; info: CertInfo }>): string {
  if (info.isCa && info.x509.checkIssued(info.x509) && info.x509.verify(info.x509.publicKey)) return 'self-signed';
  const ca = cas.find((c) => signedBy(info, c.info));
  if (ca) return ca.id;
  const issuer = info.x509.issuer.split('\n').find((r) => r.startsWith('CN=')) ?? info.x509.issuer.replace(/\n/g, ', ');
  return `unknown (issuer ${issuer})`;
}
