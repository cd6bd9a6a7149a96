/**
 * The CAs of an adopted PKI: which found certificates are self-signed roots, which root signed each
 * leaf (the signature is verified, the issuer name alone proves nothing), and which root plays which
 * of kubesmith's CAs. A root's part is decided by what it signed (the CA of the apiserver certificate
 * is the kubernetes-ca), then by its own name. Two different CAs with one subject are refused:
 * kubesmith will not guess which one the cluster trusts. Pure.
 */
import type { FoundCert, IgnoredFile } from './adopt-types.js';
import { caNameScore, looksLike } from './adopt-match.js';
import type { CertSpec } from './specs.js';
import { signedBy } from './x509-read.js';

/** What the chains say. */
export interface Chains {
  /** Self-signed CA certificates, not counting ones refused for sharing a subject. */
  readonly roots: readonly FoundCert[];
  /** Leaf fingerprint -> the root that signed it. */
  readonly signer: ReadonlyMap<string, FoundCert>;
  readonly leaves: readonly FoundCert[];
  readonly ignored: readonly IgnoredFile[];
  readonly problems: readonly string[];
}

const subjectText = (c: FoundCert): string => c.info.x509.subject.replaceAll('\n', ', ');
const issuerText = (c: FoundCert): string => c.info.x509.issuer.replaceAll('\n', ', ');
const files = (c: FoundCert): string => c.files.join(', ');
const selfSigned = (c: FoundCert): boolean => signedBy(c.info, c.info);

/** Sorts the found certificates into roots and signed leaves; everything else is listed as not used. */
export function chains(certs: readonly FoundCert[]): Chains {
  const ignored: IgnoredFile[] = [];
  const problems: string[] = [];
  const all = certs.filter((c) => c.info.isCa && selfSigned(c));
  const bySubject = new Map<string, FoundCert[]>();
  for (const r of all) bySubject.set(r.info.x509.subject, [...(bySubject.get(r.info.x509.subject) ?? []), r]);
  const refused = new Set<FoundCert>();
  for (const same of bySubject.values()) {
    if (same.length < 2) continue;
    for (const r of same) refused.add(r);
    problems.push(
      `${same.length} different CA certificates have the same subject "${subjectText(same[0]!)}": ${same.map((r) => `${files(r)} (sha256 ${r.fingerprint})`).join('; ')}. ` +
        'A certificate names its issuer by subject, so kubesmith will not guess which one the cluster trusts: keep the one the hosts use (compare its fingerprint with `openssl x509 -noout -fingerprint -sha256 -in ca.pem` on a host) and remove the other from the --from directories',
    );
  }
  const roots = all.filter((r) => !refused.has(r));
  const signer = new Map<string, FoundCert>();
  const leaves: FoundCert[] = [];
  for (const c of certs) {
    if (all.includes(c)) continue;
    const why = (reason: string): void => void ignored.push({ path: files(c), reason: `${reason}; not adopted` });
    if (c.info.isCa) {
      why(`an intermediate CA (subject "${subjectText(c)}", issuer "${issuerText(c)}"): kubesmith's CAs are self-signed roots`);
      continue;
    }
    if (c.info.organizations.includes('system:nodes')) {
      why(`the kubelet certificate of ${c.info.commonName.replace(/^system:node:/, 'node ')}: kubelets get and rotate their own through TLS bootstrap`);
      continue;
    }
    if (selfSigned(c)) {
      why(`a self-signed certificate that is not a CA (CN=${c.info.commonName}; a kubelet's own serving certificate looks like this)`);
      continue;
    }
    const by = all.filter((r) => signedBy(c.info, r.info));
    if (by.length === 1 && roots.includes(by[0]!)) {
      signer.set(c.fingerprint, by[0]!);
      leaves.push(c);
      continue;
    }
    if (by.length > 0) why(`signed by a CA whose subject another CA shares (see the problems)`);
    else if (all.some((r) => r.info.x509.subject === c.info.x509.issuer)) why(`its issuer is named "${issuerText(c)}" like a CA found here, but that CA's key did not sign it (it comes from another CA of the same name)`);
    else why(`signed by a CA that was not found under --from (issuer "${issuerText(c)}")`);
  }
  return { roots, signer, leaves, ignored, problems };
}

/** Which root plays each of the catalogue's CAs, and the roots left over. */
export interface CaRoles {
  readonly roles: ReadonlyMap<string, FoundCert>;
  readonly unused: readonly FoundCert[];
  readonly problems: readonly string[];
}

/**
 * Votes: each leaf counts once for every catalogue CA whose leaves it looks like; a root's score is
 * its votes (times ten), plus 2 for the catalogue's CN or 1 for a telling keyword in its own CN. CAs
 * are filled in catalogue order (kubernetes-ca first), so one CA that signed everything (kubeasz,
 * opsnull) becomes the kubernetes-ca and the etcd-ca stays missing.
 */
export function assignCaRoles(specs: readonly CertSpec[], ch: Chains): CaRoles {
  const votes = new Map<FoundCert, Map<string, number>>();
  const leafSpecs = specs.filter((s) => s.kind === 'leaf');
  for (const leaf of ch.leaves) {
    const root = ch.signer.get(leaf.fingerprint)!;
    const parts = new Set(leafSpecs.filter((s) => looksLike(s, leaf.info)).map((s) => s.signer ?? ''));
    const v = votes.get(root) ?? new Map<string, number>();
    for (const p of parts) v.set(p, (v.get(p) ?? 0) + 1);
    votes.set(root, v);
  }
  const roles = new Map<string, FoundCert>();
  const problems: string[] = [];
  const taken = new Set<FoundCert>();
  for (const caSpec of specs.filter((s) => s.kind === 'ca')) {
    const score = (r: FoundCert): number => (votes.get(r)?.get(caSpec.id) ?? 0) * 10 + caNameScore(caSpec, r.info);
    const ranked = ch.roots.filter((r) => !taken.has(r) && score(r) > 0).sort((a, b) => score(b) - score(a));
    const [best, next] = ranked;
    if (best === undefined) continue;
    if (next !== undefined && score(next) === score(best)) {
      problems.push(`${caSpec.id}: ${files(best)} and ${files(next)} could both be it (CN=${best.info.commonName}, CN=${next.info.commonName}, and the same evidence); adopt from directories that hold only this cluster's CA`);
      continue;
    }
    roles.set(caSpec.id, best);
    taken.add(best);
  }
  return { roles, unused: ch.roots.filter((r) => !taken.has(r)), problems };
}
