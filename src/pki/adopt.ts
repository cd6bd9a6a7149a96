/**
 * `pki adopt`: the certificates and keys of a cluster installed by hand -> what kubesmith keeps,
 * re-issues with the same CA, or is missing, and the files `--write` puts into an empty state dir.
 * The decision for each certificate is reconcile's own (the rule `pki generate` applies), run on a
 * state made of what was found, so "keep" here means `pki generate` keeps it. Only CAs, kept leaves,
 * the service-account key and the identity record are written: a certificate that must be re-issued
 * is left for `pki generate`, which issues it with the adopted CA. Pure.
 */
import type { Inventory } from '../inventory/types.js';
import { assignCaRoles, chains } from './adopt-cas.js';
import { looksLike, pickCandidate } from './adopt-match.js';
import { mismatchedPairs, parseFound } from './adopt-parse.js';
import { caProblem, leafRows, unusedFiles, type Picked } from './adopt-rows.js';
import { adoptServiceAccount } from './adopt-sa.js';
import type { AdoptReport, AdoptRow, FoundCert, FoundFile, FoundKey, ServiceAccountChoice } from './adopt-types.js';
import { IDENTITY_FILE, IDENTITY_NAMES, publicKeyFingerprint, serializeIdentity, type IdentityName } from './identity.js';
import type { PkiCatalogue } from './profile-types.js';
import { driftReason, reconcile, type Reconciled } from './reconcile.js';
import { certSpecs } from './specs.js';
import { STATE_FILES, type PkiState, type PkiWrite, type StoredPair } from './state-types.js';

/** What adoption needs. */
export interface AdoptInput {
  readonly inventory: Inventory;
  readonly catalogue: PkiCatalogue;
  readonly files: readonly FoundFile[];
  readonly now: Date;
  readonly serviceAccount?: ServiceAccountChoice;
  /** The state dir the writes are for (named in reconcile's messages). */
  readonly stateDir: string;
  /** How the report names the inventory in suggested commands: "-i inventory.yaml". */
  readonly cli: string;
}

/** The report, and what `--write` saves (empty when there are problems). */
export interface AdoptPlan {
  readonly report: AdoptReport;
  readonly writes: readonly PkiWrite[];
}

/** Reads, matches and decides; never throws on what was found (it becomes a problem or an unused file). */
export function planAdoption(input: AdoptInput): AdoptPlan {
  const { inventory: inv, now } = input;
  const found = parseFound(input.files);
  const ch = chains(found.certs);
  const specs = certSpecs(input.catalogue, inv);
  const roles = assignCaRoles(specs, ch);
  const problems = [...found.problems, ...mismatchedPairs(found), ...ch.problems, ...roles.problems];
  const keyOf = (c: FoundCert): FoundKey | undefined => found.keys.find((k) => k.spki === c.spki);

  const cas = new Map<string, FoundCert>();
  for (const [id, ca] of roles.roles) {
    const p = caProblem(id, ca, keyOf(ca), now);
    if (p === undefined) cas.set(id, ca);
    else problems.push(p);
  }
  if (roles.roles.size === 0 && ch.problems.length === 0) problems.push('no CA certificate of this cluster was found under --from, so there is nothing to adopt; point --from at the directories holding ca.pem (and ca-key.pem), or start a new PKI with `kubesmith pki generate`');

  const picked = new Map<string, Picked>();
  const looking = new Map<string, readonly FoundCert[]>();
  for (const spec of specs.filter((s) => s.kind === 'leaf')) {
    const looks = ch.leaves.filter((l) => looksLike(spec, l.info));
    looking.set(spec.id, looks);
    const ca = cas.get(spec.signer ?? '');
    if (ca === undefined) continue;
    const mine = looks.filter((l) => ch.signer.get(l.fingerprint) === ca);
    const pick = pickCandidate(spec, mine, { drift: (c) => driftReason(spec, c.info, inv, now, ca.info.notAfter), hasKey: (c) => keyOf(c) !== undefined });
    if (pick) picked.set(spec.id, { cert: pick, ...(keyOf(pick) ? { key: keyOf(pick)! } : {}) });
  }

  const pairs = new Map<string, StoredPair>();
  for (const [id, ca] of cas) pairs.set(id, { certPem: ca.pem, ...(keyOf(ca) ? { keyPem: keyOf(ca)!.pem } : {}) });
  for (const [id, p] of picked) pairs.set(id, { certPem: p.cert.pem, ...(p.key ? { keyPem: p.key.pem } : {}) });
  const state: PkiState = { dir: input.stateDir, pairs, serviceAccount: {} };
  let decided: readonly Reconciled[] = [];
  try {
    decided = reconcile(specs, state, inv, now);
  } catch (err) {
    problems.push(`${(err as Error).message} (while checking the adopted files against the inventory)`);
  }

  const kubeCa = cas.get('kubernetes-ca');
  const sa = adoptServiceAccount(found, kubeCa ? keyOf(kubeCa) : undefined, input.serviceAccount, input.cli);
  if (sa.problem) problems.push(sa.problem);
  // A CA not found whose part another adopted CA plays (one CA for everything: kubeasz, opsnull).
  const signedByOther = (caId: string): string[] => [
    ...new Set(
      specs
        .filter((s) => s.signer === caId)
        .flatMap((s) => looking.get(s.id) ?? [])
        .flatMap((l) => [...cas].filter(([, ca]) => ca === ch.signer.get(l.fingerprint)).map(([id]) => id)),
    ),
  ];
  const caRows = decided.filter((r) => r.spec.kind === 'ca').map((r) => caRow(r, cas.get(r.spec.id), keyOf, roles.roles.has(r.spec.id), signedByOther(r.spec.id)));
  const certificates = leafRows(decided, picked, looking, ch.signer, cas);
  const kept = certificates.filter((r) => r.action === 'keep').map((r) => r.id);
  const report: AdoptReport = {
    cas: caRows,
    certificates,
    serviceAccount: sa.row,
    ignored: [...unusedFiles(found, ch, roles.unused, picked, cas, sa.usedKey)],
    notes: caRows.filter((r) => r.action === 'adopt-keyless').map((r) => `${r.id}: adopted without its key (keyless mode): kubesmith uses what it signed as it is and cannot issue or renew anything under it until the key is in the state dir`),
    problems,
  };
  if (problems.length > 0) return { report, writes: [] };
  const writes: PkiWrite[] = [];
  const pair = (id: string, certPem: string, keyPem: string | undefined): void => {
    if (keyPem !== undefined) writes.push({ name: STATE_FILES.key(id), content: keyPem, secret: true });
    writes.push({ name: STATE_FILES.cert(id), content: certPem, secret: false });
  };
  for (const [id, ca] of cas) pair(id, ca.pem, keyOf(ca)?.pem);
  for (const id of kept) pair(id, picked.get(id)!.cert.pem, picked.get(id)!.key!.pem);
  if (sa.pair) writes.push({ name: STATE_FILES.saKey, content: sa.pair.privatePem, secret: true }, { name: STATE_FILES.saPub, content: sa.pair.publicPem, secret: false });
  writes.push(identityWrite(inv.cluster.name, cas, sa.pair?.publicPem, now));
  return { report, writes };
}

function caRow(r: Reconciled, ca: FoundCert | undefined, keyOf: (c: FoundCert) => FoundKey | undefined, refused: boolean, playedBy: readonly string[]): AdoptRow {
  const id = r.spec.id;
  if (ca === undefined) {
    const shared = playedBy.length === 0 ? '' : `; the certificates found for its part are signed by ${playedBy.join(', ')} (one CA for everything, as kubeasz and opsnull do): kubesmith keeps ${id} separate, and the next apply moves them to the new one`;
    return { id, action: 'missing', reason: refused ? 'found, but refused (see the problems)' : `not found; \`pki generate\` issues a new ${id}, and everything it signs${shared}` };
  }
  const key = keyOf(ca);
  const from = `${ca.files.join(', ')}${key ? ` + ${key.files.join(', ')}` : ''}`;
  const fingerprint = ca.fingerprint;
  return key
    ? { id, action: 'adopt', reason: `${r.decision.reason}; kubesmith signs with it`, from, fingerprint }
    : { id, action: 'adopt-keyless', reason: r.decision.reason, from, fingerprint };
}

/** cluster.json for the adopted identity: the fingerprints of what was adopted, nothing deployed by kubesmith yet. */
function identityWrite(cluster: string, cas: ReadonlyMap<string, FoundCert>, saPublicPem: string | undefined, now: Date): PkiWrite {
  const fingerprints: Partial<Record<IdentityName, string>> = {};
  for (const [id, ca] of cas) if ((IDENTITY_NAMES as readonly string[]).includes(id)) fingerprints[id as IdentityName] = ca.fingerprint;
  if (saPublicPem !== undefined) fingerprints['service-account'] = publicKeyFingerprint(saPublicPem);
  return { name: IDENTITY_FILE, content: serializeIdentity({ cluster, createdAt: now.toISOString(), fingerprints, replaced: [] }), secret: false };
}
