/**
 * A simulated cluster for `pki check --remote`: a real PKI issued by the production CA code, the
 * plan built from it exactly as the command builds it (bundleFromState + buildPlan), and one
 * FakeCertHostState per host holding what `apply` would have installed: every certificate file and
 * kubeconfig of the plan, the endpoints serving their files, and kubelet client/serving
 * certificates signed by the state's kubernetes-ca (as kube-controller-manager's signer would).
 */
import type { Inventory } from '../../src/inventory/types.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import { issueLeaf, loadCa } from '../../src/pki/issue.js';
import { bundleFromState } from '../../src/pki/remote/state-bundle.js';
import { remoteTargets, type HostTargets } from '../../src/pki/remote/targets.js';
import { readCert } from '../../src/pki/x509-read.js';
import type { PkiState, PkiWrite, StoredPair } from '../../src/pki/state-types.js';
import { loadTemplates } from '../../src/state/load-templates.js';
import { fakeCertHostState, type FakeCertHostState } from './fake-cert-host.js';
import { fixedClock, fixtureKeySource, fixtureNow, pkiFixtureResult, seededEntropy, shippedCatalogue } from './pki-fixture.js';

/** The PkiState a list of state-dir writes describes (what savePkiState would leave on disk). */
export function stateFromWrites(dir: string, writes: readonly PkiWrite[]): PkiState {
  const pairs = new Map<string, StoredPair>();
  let sa: { privatePem?: string; publicPem?: string } = {};
  for (const w of writes) {
    if (w.name === 'sa.key') sa = { ...sa, privatePem: w.content };
    else if (w.name === 'sa.pub') sa = { ...sa, publicPem: w.content };
    const m = /^(.+)\.(crt|key)$/.exec(w.name);
    if (!m || w.name === 'sa.key') continue;
    const prev = pairs.get(m[1] as string) ?? {};
    pairs.set(m[1] as string, m[2] === 'crt' ? { ...prev, certPem: w.content } : { ...prev, keyPem: w.content });
  }
  return { dir, pairs, serviceAccount: sa };
}

/** A cluster: its state, plan, targets, and the writes (to save the state to a directory). */
export interface RemoteFleet {
  readonly inventory: Inventory;
  readonly state: PkiState;
  readonly writes: readonly PkiWrite[];
  readonly plan: ClusterPlan;
  readonly targets: readonly HostTargets[];
  readonly issuedAt: Date;
}

/** Issues the PKI for `inv` at `now` (default: fixtureNow()) and plans it. */
export async function remoteFleet(inv: Inventory, now?: Date): Promise<RemoteFleet> {
  const result = await pkiFixtureResult(inv, now ? { now } : {});
  const state = stateFromWrites('/nonexistent/state/pki', result.writes);
  const plan = buildPlan({ inventory: inv, pki: bundleFromState(inv, shippedCatalogue(), state), pkiDecisions: [], templates: loadTemplates() });
  return { inventory: inv, state, writes: result.writes, plan, targets: remoteTargets(plan), issuedAt: now ?? fixtureNow() };
}

/** A certificate for the kubelet of `host` signed by the fleet's kubernetes-ca (or `ca` of the state). */
export async function kubeletCert(fleet: RemoteFleet, host: string, kind: 'client' | 'serving', ca = 'kubernetes-ca', keyOffset = 20): Promise<string> {
  const pair = fleet.state.pairs.get(ca);
  if (!pair?.certPem || !pair.keyPem) throw new Error(`fleet state lacks ${ca}`);
  const sources = { clock: fixedClock(fleet.issuedAt), entropy: seededEntropy(`${host}-${kind}`), keys: fixtureKeySource(keyOffset) };
  const key = await sources.keys.generate(fleet.inventory.pki.keyAlgorithm);
  const ip = fleet.inventory.hosts.find((h) => h.name === host)?.internalIP ?? '127.0.0.1';
  const subject = {
    commonName: `system:node:${host}`,
    organizations: ['system:nodes'],
    usages: [kind === 'client' ? ('clientAuth' as const) : ('serverAuth' as const)],
    sans: kind === 'client' ? { dns: [], ips: [] } : { dns: [host], ips: [ip] },
    validityDays: 365,
  };
  const loaded = await loadCa(pair.certPem, pair.keyPem, readCert(pair.certPem).notAfter);
  const issued = await issueLeaf(subject, key.privateKeyPem, loaded, sources);
  // The kubelet's file store keeps certificate and key in one file: the probe must print only the first.
  return `${issued.certPem}${issued.keyPem}`;
}

/** What each host holds after an apply and a kubelet bootstrap: everything in sync. */
export async function deployedHosts(fleet: RemoteFleet, kubelet?: (host: string, kind: 'client' | 'serving') => Promise<string> | string): Promise<Map<string, FakeCertHostState>> {
  const out = new Map<string, FakeCertHostState>();
  for (const ph of fleet.plan.hosts) {
    const s = fakeCertHostState();
    for (const a of ph.artifacts) if (typeof a.content === 'string' && (a.kind === 'cert' || a.kind === 'kubeconfig' || a.kind === 'key')) s.files.set(a.path, a.content);
    const t = fleet.targets.find((x) => x.host === ph.host.name);
    for (const e of t?.expectations ?? []) {
      if (e.source === 'kubelet' && kubelet) s.files.set(e.path ?? '', await kubelet(ph.host.name, e.certificate === 'kubelet-client' ? 'client' : 'serving'));
    }
    for (const e of t?.expectations ?? []) {
      if (e.source !== 'served') continue;
      const pem = e.expected?.[0] ?? s.files.get(e.path ?? '');
      if (pem !== undefined) s.tls.set(e.endpoint ?? '', pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 26));
    }
    out.set(ph.host.name, s);
  }
  return out;
}
