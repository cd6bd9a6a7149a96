/**
 * ensurePki: the whole `pki generate` as one pure-ish call (async key generation is the only effect,
 * through the injected KeySource). State in, decisions + bundle + files to write out. Other commands
 * (plan, apply) call it too; only src/state/pki-store.ts writes the result.
 */
import type { Inventory } from '../inventory/types.js';
import { PkiError } from '../shared/errors.js';
import { generateBootstrapToken, parseToken, serializeToken, tokenReplacementReason } from './bootstrap-token.js';
import { guardServiceAccount, type IdentityGuard } from './ca-guard.js';
import type { IdentityName } from './identity.js';
import { backupFor, identityGuard, nextIdentity, type IdentityOutcome, type PkiBackup } from './identity-plan.js';
import { issueCa, issueKeypair, issueLeaf, loadCa, type LoadedCa, type PkiSources } from './issue.js';
import type { PkiCatalogue } from './profile-types.js';
import { reconcile, type Reconciled } from './reconcile.js';
import { fittedRotation, guardNewCa, rotationOf, type RotationOptions } from './rotation-ensure.js';
import { certSpecs } from './specs.js';
import { STATE_FILES, type PkiState, type PkiWrite } from './state-types.js';
import type { BootstrapToken, CertMaterial, PkiBundle, PkiDecision } from './types.js';
import { keyMatchesPublic, publicPemOf, readCert, readKey } from './x509-read.js';

export type { PkiSources } from './issue.js';

/** What ensurePki decided and produced. `writes` is empty when everything was kept. */
export interface EnsureResult {
  readonly decisions: readonly PkiDecision[];
  readonly bundle: PkiBundle;
  readonly writes: readonly PkiWrite[];
  /** Decisions with action "blocked" (keyless mode); the caller fails after saving the rest. */
  readonly blocked: readonly PkiDecision[];
  /** The cluster identity record after this run (its write, if any, is in `writes`). */
  readonly identity: IdentityOutcome;
  /** With `--new-ca`: what it replaces, to be saved under the state dir before `writes`. */
  readonly backup?: PkiBackup;
}

/** Options of `pki generate` and `pki rotate-ca`; other callers pass none. */
export interface EnsureOptions extends RotationOptions {
  /** Replace these CAs / the service-account key (after a backup) instead of refusing to. */
  readonly newCa?: readonly IdentityName[];
}

/** Decides, issues what is missing or stale, and returns the complete bundle plus the files to write. */
export async function ensurePki(inv: Inventory, catalogue: PkiCatalogue, state: PkiState, sources: PkiSources, opts: EnsureOptions = {}): Promise<EnsureResult> {
  const now = sources.clock.now();
  const rotation = rotationOf(state, opts);
  guardNewCa(opts.newCa ?? [], rotation, opts, state.dir, inv.source);
  const guard = identityGuard(catalogue, state, opts.newCa ?? []);
  // Stage 2 of a rotation brings its own CA or key pair (made at stage 1): nothing is minted for it.
  const supplied = opts.rotateTo;
  const specs = certSpecs(catalogue, inv);
  const decided = reconcile(specs, state, inv, now, guard);
  const sa = serviceAccountDecision(state, guard);
  const token = tokenDecision(state, now);

  const alg = inv.pki.keyAlgorithm;
  const needsKey = (r: Reconciled): boolean => r.decision.action === 'issue' || r.decision.action === 'renew';
  // Start every key generation at once: the libuv pool runs them in parallel, off the main thread.
  const keyJobs = new Map(decided.filter((r) => needsKey(r) && r.spec.id !== supplied?.name).map((r) => [r.spec.id, sources.keys.generate(alg)] as const));
  const saJob =
    sa.decision.action === 'keep'
      ? undefined
      : supplied?.name === 'service-account'
        ? Promise.resolve({ privatePem: supplied.keyPem, publicPem: supplied.publicPem ?? publicPemOf(supplied.keyPem) })
        : issueKeypair(alg, sources);
  // Awaited last: when a CA or leaf fails first (a stopped run drops its keys), its rejection must
  // not go unhandled (Node would crash with a stack); the await below still sees it.
  saJob?.catch(() => undefined);

  const certs = new Map<string, CertMaterial>();
  const writes: PkiWrite[] = [];
  const cas = new Map<string, Promise<LoadedCa | undefined>>();
  // CAs in parallel (each waits only for its own key), then every leaf in parallel.
  const caResults = await Promise.all(
    decided.filter((x) => x.spec.kind === 'ca').map(async (r) => {
      const given = supplied?.name === r.spec.id && supplied.certPem !== undefined ? { certPem: supplied.certPem, keyPem: supplied.keyPem } : undefined;
      const material: { certPem: string; keyPem?: string } = given ?? (needsKey(r) ? await issueCa(r.spec, (await keyJobs.get(r.spec.id))!.privateKeyPem, sources) : r.existing!);
      return { r, material };
    }),
  );
  for (const { r, material } of caResults) {
    const { certPem, keyPem } = material;
    if (needsKey(r)) writes.push(...pairWrites(r.spec.id, certPem, keyPem!));
    certs.set(r.spec.id, { id: r.spec.id, certPem, ...(keyPem !== undefined ? { keyPem } : {}) });
    cas.set(r.spec.id, keyPem === undefined ? Promise.resolve(undefined) : loadCa(certPem, keyPem, readCert(certPem).notAfter));
  }
  const leaves = decided.filter((x) => x.spec.kind === 'leaf');
  const issued = await Promise.all(
    leaves.map(async (r) => {
      if (!needsKey(r)) return r.existing ? { id: r.spec.id, certPem: r.existing.certPem, ...(r.existing.keyPem ? { keyPem: r.existing.keyPem } : {}) } : undefined;
      const ca = await cas.get(r.spec.signer ?? '');
      if (!ca) throw new PkiError(`${r.spec.id}: its CA ${r.spec.signer} has no key`); // reconcile marks these blocked
      const m = await issueLeaf(r.spec, (await keyJobs.get(r.spec.id))!.privateKeyPem, ca, sources);
      return { id: r.spec.id, ...m, fresh: true };
    }),
  );
  for (const m of issued) {
    if (!m) continue;
    certs.set(m.id, { id: m.id, certPem: m.certPem, ...(m.keyPem !== undefined ? { keyPem: m.keyPem } : {}) });
    if ('fresh' in m) writes.push(...pairWrites(m.id, m.certPem, m.keyPem)); // catalogue order, whatever finished first
  }

  const stored = state.serviceAccount;
  // saJob is set for 'issue'; a kept pair has its private key (serviceAccountDecision checked it).
  const saPair = saJob ? await saJob : { privatePem: stored.privatePem!, publicPem: stored.publicPem ?? publicPemOf(stored.privatePem!) };
  if (saJob) writes.push({ name: STATE_FILES.saKey, content: saPair.privatePem, secret: true });
  if (saJob || stored.publicPem === undefined) writes.push({ name: STATE_FILES.saPub, content: saPair.publicPem, secret: false });
  const bootstrapToken = token.keep ?? generateBootstrapToken(sources.entropy, sources.clock, inv.pki.bootstrapTokenTTLHours);
  if (!token.keep) writes.push({ name: STATE_FILES.token, content: serializeToken(bootstrapToken), secret: true });

  const decisions = [...decided.map((r) => r.decision), sa.decision, token.decision];
  const backup = backupFor(state, guard, specs, now);
  const identity = nextIdentity(inv.cluster.name, state, guard, { certs, serviceAccount: saPair }, now, backup);
  if (identity.write) writes.push(identity.write);
  return {
    decisions,
    bundle: withRotation({ algorithm: alg, certs, serviceAccount: saPair, bootstrapToken, catalogue, identity: identity.identity }, fittedRotation(rotation, { certs, serviceAccount: saPair }, state.dir)),
    writes,
    blocked: decisions.filter((d) => d.action === 'blocked'),
    identity,
    ...(backup ? { backup } : {}),
  };
}

function withRotation(b: PkiBundle, rotation: PkiBundle['rotation']): PkiBundle {
  return rotation === undefined ? b : { ...b, rotation };
}

function pairWrites(id: string, certPem: string, keyPem: string): PkiWrite[] {
  return [{ name: STATE_FILES.key(id), content: keyPem, secret: true }, { name: STATE_FILES.cert(id), content: certPem, secret: false }];
}

function serviceAccountDecision(state: PkiState, guard: IdentityGuard): { decision: PkiDecision } {
  const { privatePem, publicPem } = state.serviceAccount;
  const id = 'service-account';
  // Refuses a missing or foreign sa.key when the cluster already signs tokens with it.
  if (guardServiceAccount(state, guard) === 'replace') return { decision: { id, action: 'issue', reason: privatePem ?? publicPem ? 'replaced on request (--new-ca); the old key pair is backed up' : 'issued on request (--new-ca)' } };
  if (privatePem === undefined) return { decision: { id, action: 'issue', reason: 'not issued yet' } };
  let key;
  try {
    key = readKey(privatePem);
  } catch (err) {
    throw new PkiError(`${state.dir}/${STATE_FILES.saKey}: not a valid PEM private key (${(err as Error).message})`, {
      hint: 'restore it from a backup; deleting it invalidates every ServiceAccount token; nothing was written',
      cause: err,
    });
  }
  if (publicPem !== undefined && !keyMatchesPublic(key, publicPem)) {
    throw new PkiError(`${state.dir}/${STATE_FILES.saPub}: does not match sa.key`, {
      // Either half may be the foreign one: deleting sa.pub would let a foreign sa.key through.
      hint: `sa.key and sa.pub are from different key pairs. Restore the pair the cluster uses (a control-plane host has both at /opt/kubernetes/ssl/); to replace it on purpose: \`kubesmith pki generate -i FILE --new-ca service-account\` (backs up both first); nothing was written`,
    });
  }
  if (publicPem === undefined) return { decision: { id, action: 'keep', reason: 'sa.pub missing; derived from sa.key' } };
  return { decision: { id, action: 'keep', reason: 'key pair present (service-account keys do not expire)' } };
}

function tokenDecision(state: PkiState, now: Date): { decision: PkiDecision; keep?: BootstrapToken } {
  const id = 'bootstrap-token';
  if (state.bootstrapTokenJson === undefined) return { decision: { id, action: 'issue', reason: 'not issued yet' } };
  let t: BootstrapToken;
  try {
    t = parseToken(state.bootstrapTokenJson);
  } catch (err) {
    return { decision: { id, action: 'renew', reason: `${STATE_FILES.token} unreadable (${(err as Error).message})` } };
  }
  const why = tokenReplacementReason(t, now);
  if (why) return { decision: { id, action: 'renew', reason: why } };
  return { decision: { id, action: 'keep', reason: `valid until ${t.expires.toISOString().replace(/\.\d{3}Z$/, 'Z')}` }, keep: t };
}
