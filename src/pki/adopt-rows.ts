/**
 * The parts of the adopt report derived from the decisions: one row per certificate (keep,
 * re-issue with reconcile's reason, missing with what was found instead), CA refusals (expired, a
 * key kubesmith cannot sign with), and every file or key that is not used, with the reason. Pure.
 */
import type { Chains } from './adopt-cas.js';
import type { AdoptRow, FoundCert, FoundKey, FoundMaterial, IgnoredFile } from './adopt-types.js';
import type { Reconciled } from './reconcile.js';
import type { CertSpec } from './specs.js';

/** The certificate chosen for a catalogue entry, and its key when one was found. */
export interface Picked {
  readonly cert: FoundCert;
  readonly key?: FoundKey;
}

const date = (d: Date): string => d.toISOString().slice(0, 10);
const files = (c: { readonly files: readonly string[] }): string => c.files.join(', ');

/** Why a CA cannot be adopted, or undefined. */
export function caProblem(id: string, ca: FoundCert, key: FoundKey | undefined, now: Date): string | undefined {
  const what = `${files(ca)}: the ${id} (CN=${ca.info.commonName})`;
  if (ca.info.notAfter.getTime() <= now.getTime()) {
    return `${what} expired on ${date(ca.info.notAfter)}; kubesmith never renews a CA and will not adopt an expired one: rotate it first (kubernetes.io "Manual rotation of CA certificates")`;
  }
  if (ca.info.notBefore.getTime() > now.getTime()) return `${what} is not valid before ${ca.info.notBefore.toISOString()}; check this machine's clock`;
  const alg = String(ca.info.algorithm);
  const rsaBits = /^rsa-(\d+)$/.exec(alg)?.[1];
  const signable = alg === 'ecdsa-p256' || alg === 'ecdsa-p384' || (rsaBits !== undefined && Number(rsaBits) >= 2048);
  if (key !== undefined && !signable) return `${what} has a ${alg} key; kubesmith signs with RSA (2048 bits or more) or ECDSA P-256/P-384 only`;
  return undefined;
}

/** How a chosen certificate's CA is named in the report: its catalogue id, else its file. */
function caName(c: FoundCert, signer: ReadonlyMap<string, FoundCert>, cas: ReadonlyMap<string, FoundCert>): string {
  const root = signer.get(c.fingerprint);
  const role = [...cas].find(([, ca]) => ca === root)?.[0];
  return role ?? (root ? `the CA in ${files(root)} (not adopted)` : 'an unknown CA');
}

function missingReason(spec: CertSpec, looks: readonly FoundCert[], signer: ReadonlyMap<string, FoundCert>, cas: ReadonlyMap<string, FoundCert>): string {
  const ca = cas.get(spec.signer ?? '');
  const other = looks.filter((l) => signer.get(l.fingerprint) !== ca);
  const seen = other.map((l) => `${files(l)} (CN=${l.info.commonName}) is signed by ${caName(l, signer, cas)}`).join('; ');
  if (ca === undefined) return `its CA ${spec.signer} was not adopted, so \`pki generate\` issues it under a new ${spec.signer}${seen ? `; found ${seen}` : ''}`;
  return seen ? `found ${seen}, but kubesmith signs ${spec.id} with ${spec.signer}` : 'no certificate for it was found';
}

const tidy = (reason: string): string => reason.replace(/^private key missing/, 'its private key was not found under --from');

/** One row per leaf of the catalogue, in catalogue order. */
export function leafRows(
  decided: readonly Reconciled[],
  picked: ReadonlyMap<string, Picked>,
  looking: ReadonlyMap<string, readonly FoundCert[]>,
  signer: ReadonlyMap<string, FoundCert>,
  cas: ReadonlyMap<string, FoundCert>,
): AdoptRow[] {
  return decided
    .filter((r) => r.spec.kind === 'leaf')
    .map((r): AdoptRow => {
      const p = picked.get(r.spec.id);
      const from = p ? { from: `${files(p.cert)}${p.key ? ` + ${files(p.key)}` : ''}` } : {};
      const missing = (): string => missingReason(r.spec, looking.get(r.spec.id) ?? [], signer, cas);
      switch (r.decision.action) {
        case 'keep':
          return { id: r.spec.id, action: 'keep', reason: r.decision.reason, ...from };
        case 'renew':
          return { id: r.spec.id, action: 're-issue', reason: tidy(r.decision.reason), ...from };
        case 'issue':
          return { id: r.spec.id, action: 'missing', reason: missing() };
        case 'blocked':
          return p
            ? { id: r.spec.id, action: 're-issue', reason: tidy(r.decision.reason), ...from }
            : { id: r.spec.id, action: 'missing', reason: r.decision.reason.replace(/^not issued yet/, missing()) };
      }
    });
}

/** Every file, certificate and key found that adoption does not use, with the reason, by path. */
export function unusedFiles(
  found: FoundMaterial,
  ch: Chains,
  unusedRoots: readonly FoundCert[],
  picked: ReadonlyMap<string, Picked>,
  cas: ReadonlyMap<string, FoundCert>,
  saKey: string | undefined,
): IgnoredFile[] {
  const chosen = new Set([...picked.values()].map((p) => p.cert));
  const usedSpki = new Set([...cas.values(), ...chosen].map((c) => c.spki));
  if (saKey !== undefined) usedSpki.add(saKey);
  const out: IgnoredFile[] = [...found.ignored, ...ch.ignored];
  for (const r of unusedRoots) out.push({ path: files(r), reason: `a CA (CN=${r.info.commonName}) that signed nothing kubesmith uses; not adopted` });
  for (const l of ch.leaves) {
    if (!chosen.has(l)) out.push({ path: files(l), reason: `not one of kubesmith's certificates (CN=${l.info.commonName}, signed by ${caName(l, ch.signer, cas)}); not adopted` });
  }
  for (const k of found.keys) {
    if (usedSpki.has(k.spki)) continue;
    const cert = found.certs.find((c) => c.spki === k.spki);
    out.push({ path: files(k), reason: cert ? `the private key of ${cert.files[0]}, which is not adopted` : 'a private key of no certificate found here; not adopted' });
  }
  for (const p of found.publicKeys) if (!usedSpki.has(p.spki)) out.push({ path: files(p), reason: 'a public key kubesmith does not use; not adopted' });
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
