/**
 * `pki renew`: re-sign leaves with their existing CA, keeping the subject, SANs and usages of the
 * existing certificate (kubeadm `certs renew` semantics, pki-spec.md §4); a new key unless asked to
 * reuse it. CAs are never renewed. Pure apart from the injected sources.
 */
import type { Inventory } from '../inventory/types.js';
import { PkiError, UsageError } from '../shared/errors.js';
import { guardPresentCa } from './ca-guard.js';
import { identityGuard } from './identity-plan.js';
import { issueLeaf, loadCa, type LoadedCa, type PkiSources } from './issue.js';
import type { PkiCatalogue } from './profile-types.js';
import { parseStored } from './reconcile.js';
import { renewalDue } from './renewal.js';
import { certSpecs, type CertSpec } from './specs.js';
import { STATE_FILES, type PkiState, type PkiWrite } from './state-types.js';
import { readCert } from './x509-read.js';

/** What to renew. */
export interface RenewRequest {
  /** Certificate ids ("apiserver", "etcd-server@node01") or catalogue ids ("etcd-server": every member). */
  readonly names: readonly string[];
  readonly all: boolean;
  /** Every issued leaf inside its renewal window (renewal.ts), the one `pki generate` and `pki check` use. */
  readonly due?: boolean;
  readonly reuseKeys: boolean;
}

/** One renewed certificate and the services that must restart to load it. */
export interface Renewed {
  readonly id: string;
  readonly notAfter: Date;
  readonly reusedKey: boolean;
  readonly restarts: readonly string[];
}

function targets(specs: readonly CertSpec[], req: RenewRequest, state: PkiState, now: Date): CertSpec[] {
  const leaves = specs.filter((s) => s.kind === 'leaf');
  if (req.all) return leaves.filter((s) => state.pairs.get(s.id)?.certPem !== undefined);
  if (req.due) return leaves.filter((s) => isDue(s, state, now));
  if (req.names.length === 0) throw new UsageError('pki renew: name the certificates to renew, or pass --all', { hint: `certificates: ${leaves.map((s) => s.id).join(', ')}` });
  const out = new Map<string, CertSpec>();
  for (const name of req.names) {
    const matches = specs.filter((s) => s.id === name || s.profile.id === name);
    if (matches.some((s) => s.kind === 'ca')) {
      throw new PkiError(`pki renew: ${name} is a certificate authority; CAs are never renewed`, {
        hint: 'rotate a CA by hand (kubernetes.io "Manual rotation of CA certificates"); kubeadm does not renew CAs either',
      });
    }
    if (matches.some((s) => s.kind === 'keypair')) throw new PkiError(`pki renew: ${name} is the service-account key pair, not a certificate`);
    if (matches.length === 0) throw new UsageError(`pki renew: unknown certificate "${name}"`, { hint: `certificates: ${leaves.map((s) => s.id).join(', ')}` });
    for (const m of matches) out.set(m.id, m);
  }
  return [...out.values()];
}

/** Renews the requested leaves; throws (writing nothing) when any needs a CA key that is not there. */
export async function renewCerts(req: RenewRequest, inv: Inventory, catalogue: PkiCatalogue, state: PkiState, sources: PkiSources): Promise<{ renewed: readonly Renewed[]; writes: readonly PkiWrite[] }> {
  const specs = certSpecs(catalogue, inv);
  const now = sources.clock.now();
  const chosen = targets(specs, req, state, now);
  const guard = identityGuard(catalogue, state, []);
  const work = chosen.map((spec) => {
    const ex = parseStored(state, spec.id);
    if (!ex) throw new PkiError(`pki renew: ${spec.id} has not been issued yet`, { hint: 'run `kubesmith pki generate` first' });
    const ca = parseStored(state, spec.signer ?? '');
    if (!ca) throw new PkiError(`pki renew: ${spec.id}: its CA ${spec.signer} is missing from ${state.dir}`, { hint: 'run `kubesmith pki generate`' });
    if (ca.info.notAfter <= now) throw new PkiError(`${state.dir}/${STATE_FILES.cert(spec.signer ?? '')}: the ${spec.signer} CA expired; CAs are never renewed`);
    // Re-signing under a CA that replaced the cluster's own would move every leaf to a foreign CA.
    guardPresentCa(specs.find((s) => s.id === spec.signer)!, ca.info, ca.certPem, state, guard, specs);
    return { spec, ex, ca };
  });
  const keyless = work.filter((w) => w.ca.keyPem === undefined);
  if (keyless.length > 0) {
    throw new PkiError(`pki renew: ${keyless.length} certificate${keyless.length === 1 ? '' : 's'} need${keyless.length === 1 ? 's' : ''} a CA key that is not in ${state.dir} (keyless mode)`, {
      detail: keyless.map((w) => `${w.spec.id}: needs ${STATE_FILES.key(w.spec.signer ?? '')}`),
      hint: 'put the CA key back (mode 0600) for the renewal, or renew these with the external CA; nothing was written',
    });
  }
  const cas = new Map<string, Promise<LoadedCa>>();
  const renewed = await Promise.all(
    work.map(async ({ spec, ex, ca }) => {
      const signer = spec.signer ?? '';
      if (!cas.has(signer)) cas.set(signer, loadCa(ca.certPem, ca.keyPem!, ca.info.notAfter));
      const reused = req.reuseKeys && ex.keyPem !== undefined;
      const keyPem = reused ? ex.keyPem! : (await sources.keys.generate(inv.pki.keyAlgorithm)).privateKeyPem;
      // kubeadm renews from the existing certificate, not from the current configuration
      const subject = { commonName: ex.info.commonName, organizations: ex.info.organizations, usages: ex.info.usages, sans: ex.info.sans, validityDays: spec.validityDays };
      const m = await issueLeaf(subject, keyPem, await cas.get(signer)!, sources);
      return { spec, m, reused };
    }),
  );
  const writes = renewed.flatMap(({ spec, m, reused }) => [
    ...(reused ? [] : [{ name: STATE_FILES.key(spec.id), content: m.keyPem, secret: true }]),
    { name: STATE_FILES.cert(spec.id), content: m.certPem, secret: false },
  ]);
  return {
    renewed: renewed.map(({ spec, m, reused }) => ({ id: spec.id, notAfter: notAfterOf(m.certPem), reusedKey: reused, restarts: spec.profile.restarts })),
    writes,
  };
}

const notAfterOf = (pem: string): Date => readCert(pem).notAfter;

/** Inside its renewal window and not already clamped to its CA (renewing could not extend it). */
function isDue(spec: CertSpec, state: PkiState, now: Date): boolean {
  const ex = parseStored(state, spec.id);
  if (!ex) return false;
  const ca = parseStored(state, spec.signer ?? '');
  if (ca !== undefined && ex.info.notAfter.getTime() >= ca.info.notAfter.getTime()) return false;
  return renewalDue(ex.info.notAfter.getTime() - now.getTime(), spec.validityDays);
}
