/**
 * Test-only time travel for the "every certificate has expired" recovery tests. There is no clock
 * hook in the CLI (a production tool must not take its time from an environment variable), and
 * test hosts share the machine's kernel clock, so the tests move the certificates instead of the
 * clock: every leaf in the PKI state is re-issued by the production code (src/pki/renew.ts) under a
 * Clock set more than one leaf lifetime in the past, so each one's notAfter has already passed at
 * real time, exactly what a state directory looks like a year after its last renewal. The CAs are
 * kept (they are valid for ten years and `pki renew` never renews them). The files a plan built at
 * that past moment deploys (certificates, keys, kubeconfigs with embedded client certificates, the
 * bootstrap kubeconfig) are what the hosts of such a cluster carry; pushExpiredFiles writes them.
 */
import type { Inventory } from '../../src/inventory/types.js';
import { ensurePki } from '../../src/pki/ensure.js';
import { serializeToken } from '../../src/pki/bootstrap-token.js';
import { issueLeaf, loadCa } from '../../src/pki/issue.js';
import { renewCerts } from '../../src/pki/renew.js';
import { STATE_FILES } from '../../src/pki/state-types.js';
import { readCert } from '../../src/pki/x509-read.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import type { Clock } from '../../src/shared/clock.js';
import { bundleDir } from '../../src/state/paths.js';
import { readBundleListing } from '../../src/state/bundle-listing.js';
import { loadCatalogue } from '../../src/state/load-catalogue.js';
import { loadInventory } from '../../src/state/load-inventory.js';
import { loadTemplates } from '../../src/state/load-templates.js';
import { NODE_PKI_SOURCES } from '../../src/state/pki-flow.js';
import { NodeKeySource } from '../../src/state/node-sources.js';
import { loadPkiState, pkiStateDir, savePkiState } from '../../src/state/pki-store.js';
import type { TestHostGroup } from './test-hosts.js';

const DAY_MS = 24 * 3600_000;

/** A credential file the plan deploys, with its content at the past moment. */
export interface DeployedFile {
  readonly host: string;
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

const at = (d: Date): Clock => ({ now: () => new Date(d.getTime()) });

/** When the expired leaves were issued: two days more than the longest leaf lifetime ago. */
export function pastIssueTime(inv: Inventory, now = new Date()): Date {
  return new Date(now.getTime() - (inv.pki.leafValidityDays + 2) * DAY_MS);
}

/**
 * Re-issues every leaf of the state at `issuedAt` (past), and with `expiredToken` replaces the
 * bootstrap token by one that expired a day after `issuedAt`. Throws if a leaf is still valid now,
 * so a catalogue with a longer lifetime cannot make the test silently test nothing.
 */
export async function expireStateLeaves(inventoryFile: string, cwd: string, o: { expiredToken?: boolean } = {}): Promise<{ inventory: Inventory; issuedAt: Date; leaves: number }> {
  const { inventory } = await loadInventory(inventoryFile, cwd);
  const dir = pkiStateDir(inventory);
  const issuedAt = pastIssueTime(inventory);
  const sources = { ...NODE_PKI_SOURCES, clock: at(issuedAt) };
  const r = await renewCerts({ names: [], all: true, reuseKeys: false }, inventory, loadCatalogue(), loadPkiState(dir), sources);
  const still = r.renewed.filter((x) => x.notAfter.getTime() > Date.now());
  if (still.length > 0) throw new Error(`expireStateLeaves: still valid now: ${still.map((x) => `${x.id} until ${x.notAfter.toISOString()}`).join(', ')}`);
  const token = o.expiredToken
    ? [{ name: STATE_FILES.token, content: serializeToken({ id: 'expird', secret: 'expiredtoken0000', expires: new Date(issuedAt.getTime() + DAY_MS) }), secret: true }]
    : [];
  savePkiState(dir, [...r.writes, ...token]);
  return { inventory, issuedAt, leaves: r.renewed.length };
}

/**
 * The credential files (kinds cert, key, kubeconfig) the plan deploys when built from the state at
 * `moment` (one hour after the expired leaves were issued: they are valid then, so ensurePki keeps
 * them instead of renewing). Nothing is saved.
 */
export async function credentialFilesAt(inv: Inventory, moment: Date): Promise<readonly DeployedFile[]> {
  const pki = await ensurePki(inv, loadCatalogue(), loadPkiState(pkiStateDir(inv)), { ...NODE_PKI_SOURCES, clock: at(moment) });
  const renewedNow = pki.decisions.filter((d) => d.action !== 'keep');
  if (renewedNow.length > 0) throw new Error(`credentialFilesAt: the past plan would re-issue ${renewedNow.map((d) => `${d.id} (${d.reason})`).join(', ')}`);
  const plan = buildPlan({ inventory: inv, pki: pki.bundle, pkiDecisions: pki.decisions, templates: loadTemplates(), bundle: readBundleListing(bundleDir(inv)) });
  return plan.hosts.flatMap((h) =>
    h.artifacts.flatMap((a) => (['cert', 'key', 'kubeconfig'].includes(a.kind) && typeof a.content === 'string' ? [{ host: h.host.name, path: a.path, content: a.content, mode: a.mode }] : [])),
  );
}

/** Writes the files onto the test hosts (atomically, as root), the way the last apply of that past moment left them. */
export async function pushFiles(group: TestHostGroup, files: readonly DeployedFile[]): Promise<void> {
  await Promise.all(
    group.hosts.map(async (h) => {
      for (const f of files.filter((x) => x.host === h.name)) {
        const tmp = `${f.path}.expired-test`;
        const r = await h.ssh(`cat > '${tmp}' && chmod ${f.mode.toString(8)} '${tmp}' && mv -f '${tmp}' '${f.path}'`, { input: f.content, timeoutMs: 30_000 });
        if (r.code !== 0) throw new Error(`${h.name}: writing ${f.path}: ${r.stderr}`);
      }
    }),
  );
}

/** notAfter of the first certificate in a PEM (or kubeconfig client-certificate-data) text. */
export function notAfterOf(text: string): Date {
  const data = /client-certificate-data:\s*(\S+)/.exec(text)?.[1];
  return readCert(data ? Buffer.from(data, 'base64').toString('utf8') : text).notAfter;
}

/**
 * The kubelet's own certificates are issued by kube-controller-manager's signer, not by kubesmith,
 * and the signer cannot be made to sign in the past: the test writes what the kubelet would hold a
 * year on, a client certificate (CN system:node:<name>, O system:nodes) and a serving certificate
 * signed by the cluster's kubernetes-ca at `issuedAt`, each with a fresh key, as the kubelet's
 * certificate store does (kubelet-<kind>-<stamp>.pem with certificate and key, and the
 * kubelet-<kind>-current.pem link to it).
 */
export async function pushExpiredKubeletCerts(group: TestHostGroup, inv: Inventory, issuedAt: Date, nodes: readonly string[]): Promise<void> {
  const state = loadPkiState(pkiStateDir(inv));
  const ca = state.pairs.get('kubernetes-ca');
  if (!ca?.certPem || !ca.keyPem) throw new Error('pushExpiredKubeletCerts: no kubernetes-ca pair in the state');
  const signer = await loadCa(ca.certPem, ca.keyPem, readCert(ca.certPem).notAfter);
  const sources = { ...NODE_PKI_SOURCES, clock: at(issuedAt) };
  await Promise.all(
    nodes.map(async (name) => {
      const h = group.hosts.find((x) => x.name === name);
      if (!h) throw new Error(`pushExpiredKubeletCerts: no test host ${name}`);
      for (const kind of ['client', 'server'] as const) {
        const { privateKeyPem } = await NodeKeySource.generate('ecdsa-p256');
        const subject = { commonName: `system:node:${name}`, organizations: ['system:nodes'], usages: [kind === 'client' ? 'clientAuth' : 'serverAuth'] as const, sans: kind === 'client' ? { dns: [], ips: [] } : { dns: [name], ips: [h.ip] }, validityDays: 365 };
        const m = await issueLeaf({ ...subject, usages: [...subject.usages] }, privateKeyPem, signer, sources);
        if (notAfterOf(m.certPem).getTime() > Date.now()) throw new Error('pushExpiredKubeletCerts: the certificate is not expired');
        const dir = '/var/lib/kubelet/pki';
        const file = `${dir}/kubelet-${kind}-expired-test.pem`;
        const r = await h.ssh(`umask 077; cat > '${file}' && ln -sfn '${file}' '${dir}/kubelet-${kind}-current.pem'`, { input: `${m.certPem}${m.keyPem}`, timeoutMs: 30_000 });
        if (r.code !== 0) throw new Error(`${name}: writing ${file}: ${r.stderr}`);
      }
    }),
  );
}
