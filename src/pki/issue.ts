/**
 * Issues CAs, leaves and the service-account key pair with kubeadm's rules (pki-spec.md §0, §1b):
 * positive 126-bit serials, NotBefore backdated 5 minutes, NotAfter clamped to the CA's, whole seconds.
 * Time, randomness and keys are injected.
 */
import type { KeyAlgorithm } from '../inventory/types.js';
import type { Clock, Entropy } from '../shared/clock.js';
import { createCa, createLeaf, loadSigner, type CertTemplate, type Signer } from './x509-write.js';
import type { Usage } from './profile-types.js';
import type { Sans } from './sans.js';
import type { KeySource } from './types.js';
import { publicPemOf } from './x509-read.js';

/** kubeadm's CertificateBackdate: tolerate clock skew between the operator machine and the hosts. */
export const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Injected sources for issuing. */
export interface PkiSources {
  readonly clock: Clock;
  readonly entropy: Entropy;
  readonly keys: KeySource;
}

/** What to put in a certificate. */
export interface Subject {
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly usages: readonly Usage[];
  readonly sans: Sans;
  readonly validityDays: number;
}

/** A CA ready to sign: its certificate, loaded key and NotAfter (leaves are clamped to it). */
export interface LoadedCa {
  readonly signer: Signer;
  readonly notAfter: Date;
}

/**
 * 16 random bytes as a positive, minimally encoded INTEGER: the top bit is cleared (positive) and the
 * next one set (no leading zero byte), leaving 126 random bits (kubeadm uses 63).
 */
export function serialHex(entropy: Entropy): string {
  const b = entropy.bytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40;
  return Buffer.from(b).toString('hex');
}

function template(s: Subject, sources: PkiSources, clampTo?: Date): CertTemplate {
  const now = Math.floor(sources.clock.now().getTime() / 1000) * 1000; // whole seconds: no fractional times
  const wanted = now + s.validityDays * DAY_MS;
  const notAfter = clampTo && clampTo.getTime() < wanted ? clampTo.getTime() : wanted;
  return {
    commonName: s.commonName,
    organizations: s.organizations,
    usages: s.usages,
    dns: s.sans.dns,
    ips: s.sans.ips,
    serialHex: serialHex(sources.entropy),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
  };
}

/** A new self-signed CA (its SAN is DNS:<CN>, as kubeadm's). `keyPem` comes from the KeySource. */
export async function issueCa(s: Subject, keyPem: string, sources: PkiSources): Promise<{ certPem: string; keyPem: string }> {
  const withSan = { ...s, sans: { dns: [s.commonName], ips: [] } };
  return { certPem: await createCa(template(withSan, sources), keyPem), keyPem };
}

/** Loads a CA for signing leaves. */
export async function loadCa(certPem: string, keyPem: string, notAfter: Date): Promise<LoadedCa> {
  return { signer: loadSigner(certPem, keyPem), notAfter };
}

/** A leaf signed by `ca` for the key `keyPem`. */
export async function issueLeaf(s: Subject, keyPem: string, ca: LoadedCa, sources: PkiSources): Promise<{ certPem: string; keyPem: string }> {
  return { certPem: await createLeaf(template(s, sources, ca.notAfter), keyPem, ca.signer), keyPem };
}

/** The service-account signing key pair: sa.key (PKCS#1/SEC1) and sa.pub (PKIX). */
export async function issueKeypair(alg: KeyAlgorithm, sources: PkiSources): Promise<{ privatePem: string; publicPem: string }> {
  const { privateKeyPem } = await sources.keys.generate(alg);
  return { privatePem: privateKeyPem, publicPem: publicPemOf(privateKeyPem) };
}
