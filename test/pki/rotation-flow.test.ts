/**
 * `pki rotate-ca` on real state directories (src/state/rotation-flow.ts): what each stage writes,
 * backs up and renders, checked with openssl and Go's crypto/x509 against the rendered trust
 * bundles (a leaf of the old CA and one of the new verify against the stage 1/2 bundle, only the
 * new one after stage 3); resuming after an interrupted save; refusals leave the state untouched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import { certFingerprint, publicKeyFingerprint, type IdentityName } from '../../src/pki/identity.js';
import { pkiFilesForHost } from '../../src/pki/install.js';
import { continueRotation } from '../../src/pki/rotation-steps.js';
import { parseRotation } from '../../src/pki/rotation-record.js';
import { pemBlocks } from '../../src/pki/trust-bundle.js';
import type { PkiBundle } from '../../src/pki/types.js';
import { readCert, signedBy } from '../../src/pki/x509-read.js';
import { KubesmithError, PkiError } from '../../src/shared/errors.js';
import { generatePki } from '../../src/state/pki-flow.js';
import { loadPkiState } from '../../src/state/pki-store.js';
import { continueCaRotation, recordRotationApplied, startCaRotation } from '../../src/state/rotation-flow.js';
import { buildGoChecker, haveGo, runGoChecker } from '../support/go-checker-bin.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { fixedClock, fixtureKeySource, seededEntropy, shippedCatalogue } from '../support/pki-fixture.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const base = exampleInventory();
const INV: Inventory = { ...base, pki: { ...base.pki, keyAlgorithm: 'ecdsa-p256' } };
const T0 = new Date('2026-05-01T08:00:00Z');
const at = (min: number): Date => new Date(T0.getTime() + min * 60_000);
/** Every step gets keys no other step had (fixture keys by offset). */
const src = (min: number, offset: number) => ({ clock: fixedClock(at(min)), entropy: seededEntropy(`r${offset}`), keys: fixtureKeySource(offset) });
const bundleOf = async (dir: string, min: number): Promise<PkiBundle> => (await generatePki(INV, dir, { persist: false, sources: src(min, 900) })).bundle;
const host = (name: string) => INV.hosts.find((h) => h.name === name)!;
const fileOn = (b: PkiBundle, h: string, path: string): string | undefined => pkiFilesForHost(INV, b, host(h)).find((f) => f.path === path)?.content;
const ETCD_CA = '/opt/etcd/ssl/ca.pem';
const fresh = async (): Promise<string> => {
  const dir = join(mkdtempSync(join(tmpdir(), 'kubesmith-rotate-')), 'pki');
  await generatePki(INV, dir, { sources: src(0, 0) });
  return dir;
};
const markRolledOut = (dir: string, min: number): void => {
  const r = parseRotation(readFileSync(join(dir, 'rotation.json'), 'utf8'), 'rotation.json');
  expect(recordRotationApplied(dir, { name: r.name, stage: r.stage, nextFingerprint: r.next.fingerprint }, at(min))).toBe(true);
};
async function refusedUnchanged(dir: string, f: () => Promise<unknown>): Promise<KubesmithError> {
  const before = snapshotTree(dir);
  const err = await f().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PkiError);
  expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  return err as KubesmithError;
}
const opensslVerify = (bundle: string, leaf: string): { ok: boolean; out: string } => {
  try {
    return { ok: true, out: execFileSync('openssl', ['verify', '-x509_strict', '-CAfile', bundle, leaf], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    return { ok: false, out: String((e as { stderr?: string }).stderr) };
  }
};

describe('etcd-ca through all three stages', () => {
  let dir: string;
  const files = mkdtempSync(join(tmpdir(), 'kubesmith-rotate-files-'));
  const keep = (name: string, text: string): string => (writeFileSync(join(files, name), text), join(files, name));
  const leaves: Record<string, string> = {};
  const bundles: Record<string, string> = {};

  beforeAll(async () => {
    if (haveGo) buildGoChecker();
    dir = await fresh();
  }, 180_000);

  it('stage 1: a new etcd-ca beside the old one (backed up first); hosts get old + new; nothing re-signed', async () => {
    const before = loadPkiState(dir);
    const oldCa = before.pairs.get('etcd-ca')!.certPem!;
    leaves.old = keep('old-etcd-server.pem', before.pairs.get('etcd-server@master01')!.certPem!);
    const step = await startCaRotation(INV, dir, 'etcd-ca', src(1, 100));
    expect(statSync(join(dir, 'rotation.json')).mode & 0o777).toBe(0o600); // holds the new key until stage 2
    const backup = join(dir, step.backup!.dir);
    expect(readdirSync(backup).sort()).toEqual(['cluster.json', 'etcd-ca.crt', 'etcd-ca.key', ...['apiserver-etcd-client', 'etcd-healthcheck-client', 'etcd-peer@master01', 'etcd-peer@node01', 'etcd-peer@node02', 'etcd-server@master01', 'etcd-server@node01', 'etcd-server@node02'].flatMap((id) => [`${id}.crt`, `${id}.key`])].sort());
    expect(readFileSync(join(backup, 'etcd-ca.crt'), 'utf8')).toBe(oldCa);
    // The state's CA and every leaf are untouched: the old CA signs until stage 2.
    const after = loadPkiState(dir);
    for (const [id, p] of before.pairs) expect(after.pairs.get(id), id).toEqual(p);
    const b = await bundleOf(dir, 2);
    const trust = fileOn(b, 'master01', ETCD_CA)!;
    expect(pemBlocks(trust).map(certFingerprint)).toEqual([certFingerprint(oldCa), step.rotation.next.fingerprint]);
    expect(fileOn(b, 'master02', '/opt/kubernetes/ssl/etcd-ca.pem')).toBe(trust); // apiserver --etcd-cafile
    expect(fileOn(b, 'master02', '/opt/kubernetes/ssl/ca.pem')).toBe(b.certs.get('kubernetes-ca')!.certPem); // other CAs unchanged
    bundles.stage1 = keep('stage1.pem', trust);
  });

  it('--continue before a full apply rolled stage 1 out is refused, and writes nothing', async () => {
    const e = await refusedUnchanged(dir, () => continueCaRotation(INV, dir, 'etcd-ca', { inventoryFile: INV.source }, src(3, 200)));
    expect(e.message).toContain('is not rolled out to every host yet');
  });

  it('pki generate --new-ca etcd-ca during the rotation is refused, naming the way forward', async () => {
    const e = await refusedUnchanged(dir, () => generatePki(INV, dir, { newCa: ['etcd-ca'], sources: src(3, 300) }));
    expect(e.message).toMatch(/^pki generate --new-ca etcd-ca: etcd-ca is being rotated \(stage 1 of 3/);
    expect(e.hint).toContain(`kubesmith apply -i ${INV.source}`);
  });

  it('a crash during the stage 2 save leaves stage 1 (no commit marker) or stage 2 (marker written): never a mix', async () => {
    markRolledOut(dir, 4);
    // The files the stage 2 save would write, as pending files of an interrupted save.
    const step = await continueRotation(INV, shippedCatalogue(), loadPkiState(dir), src(5, 200), 'etcd-ca', { inventoryFile: INV.source });
    const before = snapshotTree(dir);
    for (const w of step.writes) writeFileSync(join(dir, `.${w.name}.pending`), w.content, { mode: 0o600 });
    expect(parseRotation(loadPkiState(dir).rotationJson!, 'r').stage).toBe(1); // no marker: discarded
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
    for (const w of step.writes) writeFileSync(join(dir, `.${w.name}.pending`), w.content, { mode: 0o600 });
    writeFileSync(join(dir, '.commit'), step.writes.map((w) => w.name).join('\n'), { mode: 0o600 });
    const rolled = loadPkiState(dir); // marker: rolled forward as a whole
    expect(parseRotation(rolled.rotationJson!, 'r').stage).toBe(2);
    expect(rolled.pairs.get('etcd-ca')!.certPem).toBe(step.rotation.next.pem);
  });

  it('stage 2: the new CA signs; every etcd leaf re-issued by it; both still trusted; resumable, idempotent', async () => {
    const s = loadPkiState(dir);
    const r = parseRotation(s.rotationJson!, 'r');
    expect(r.nextKeyPem).toBeUndefined(); // now etcd-ca.key
    const ca = readCert(s.pairs.get('etcd-ca')!.certPem!);
    for (const id of ['etcd-server@master01', 'etcd-peer@node02', 'etcd-healthcheck-client', 'apiserver-etcd-client']) expect(signedBy(readCert(s.pairs.get(id)!.certPem!), ca), id).toBe(true);
    expect(s.pairs.get('apiserver')!.certPem).toBe(loadPkiState(dir).pairs.get('apiserver')!.certPem);
    const identity = JSON.parse(s.identityJson!) as { fingerprints: Record<string, string>; replaced: { name: string; fingerprint: string }[] };
    expect(identity.fingerprints['etcd-ca']).toBe(r.next.fingerprint);
    expect(identity.replaced).toEqual([expect.objectContaining({ name: 'etcd-ca', fingerprint: r.old.fingerprint })]);
    // apply's own PKI pass changes nothing: the state is consistent at stage 2.
    expect((await generatePki(INV, dir, { persist: false, sources: src(6, 400) })).writes).toEqual([]);
    // A second --continue before the apply is refused (never two stages in one apply).
    expect((await refusedUnchanged(dir, () => continueCaRotation(INV, dir, 'etcd-ca', { inventoryFile: INV.source }, src(6, 500)))).message).toContain('stage 2 of 3');
    leaves.new = keep('new-etcd-server.pem', s.pairs.get('etcd-server@master01')!.certPem!);
    const trust = fileOn(await bundleOf(dir, 6), 'node01', ETCD_CA)!;
    expect(pemBlocks(trust).map(certFingerprint)).toEqual([r.next.fingerprint, r.old.fingerprint]);
    bundles.stage2 = keep('stage2.pem', trust);
  });

  it('stage 3: only the new CA is trusted; the rotation completes with the next full apply', async () => {
    markRolledOut(dir, 7);
    const step = await continueCaRotation(INV, dir, 'etcd-ca', { inventoryFile: INV.source }, src(8, 600));
    expect(step.rotation.stage).toBe(3);
    const b = await bundleOf(dir, 9);
    expect(fileOn(b, 'master01', ETCD_CA)).toBe(b.certs.get('etcd-ca')!.certPem);
    bundles.stage3 = keep('stage3.pem', fileOn(b, 'master01', ETCD_CA)!);
    markRolledOut(dir, 10);
    const e = await refusedUnchanged(dir, () => continueCaRotation(INV, dir, 'etcd-ca', { inventoryFile: INV.source }, src(11, 700)));
    expect(e.message).toContain('completed on');
  });

  it('openssl: old and new leaves verify against the stage 1 and 2 bundles; after stage 3 only the new one', () => {
    for (const stage of ['stage1', 'stage2']) {
      for (const leaf of ['old', 'new']) expect(opensslVerify(bundles[stage]!, leaves[leaf]!), `${leaf} leaf, ${stage} bundle`).toMatchObject({ ok: true });
    }
    expect(opensslVerify(bundles.stage3!, leaves.new!).ok).toBe(true);
    const old = opensslVerify(bundles.stage3!, leaves.old!);
    expect(old.ok).toBe(false);
    expect(old.out).toMatch(/unable to get local issuer certificate/);
  });

  it.skipIf(!haveGo)("Go's crypto/x509 agrees (chain, serverAuth and clientAuth, hostnames)", () => {
    const entry = (leaf: string, bundle: string) => ({ id: `${leaf}@${bundle}`, cert: leaves[leaf]!, key: join(files, 'unused.key'), ca: bundles[bundle]!, isCA: false, usages: ['serverAuth', 'clientAuth'], dns: ['master01', 'localhost'], ips: ['192.168.80.10', '127.0.0.1'] });
    // The checker also checks the key pair: give each leaf its own key from the state backups.
    const state = loadPkiState(dir);
    const backups = readdirSync(join(dir, 'backup')).sort();
    const oldKey = readFileSync(join(dir, 'backup', backups[0]!, 'etcd-server@master01.key'), 'utf8');
    const withKey = (e: ReturnType<typeof entry>, leaf: string) => ({ ...e, key: keep(`${leaf}.key`, leaf === 'old' ? oldKey : state.pairs.get('etcd-server@master01')!.keyPem!) });
    const entries = ['stage1', 'stage2', 'stage3'].flatMap((b) => ['old', 'new'].map((l) => withKey(entry(l, b), l)));
    const out = runGoChecker(files, entries);
    expect([...out.entries()].map(([id, line]) => [id, line.split(' ')[0]])).toEqual([
      ['old@stage1', 'OK'],
      ['new@stage1', 'OK'],
      ['old@stage2', 'OK'],
      ['new@stage2', 'OK'],
      ['old@stage3', 'FAIL'],
      ['new@stage3', 'OK'],
    ]);
    expect(out.get('old@stage3')).toMatch(/certificate signed by unknown authority/);
  });
});

describe('kubernetes-ca and service-account specifics', () => {
  it('kubernetes-ca: ca.pem and every kubeconfig carry the bundle; the CSR signer gets ca-signing.pem (one certificate)', async () => {
    const dir = await fresh();
    const step = await startCaRotation(INV, dir, 'kubernetes-ca', src(1, 100));
    const b = await bundleOf(dir, 2);
    const ca = fileOn(b, 'master01', '/opt/kubernetes/ssl/ca.pem')!;
    expect(pemBlocks(ca)).toHaveLength(2);
    expect(fileOn(b, 'node01', '/opt/kubernetes/ssl/ca.pem')).toBe(ca);
    expect(fileOn(b, 'master01', '/opt/kubernetes/ssl/ca-signing.pem')).toBe(b.certs.get('kubernetes-ca')!.certPem);
    expect(fileOn(b, 'node01', '/opt/kubernetes/ssl/ca-signing.pem')).toBeUndefined(); // workers have no CA key
    const { buildPlan } = await import('../../src/plan/build-plan.js');
    const { loadTemplates } = await import('../../src/state/load-templates.js');
    const plan = buildPlan({ inventory: INV, pki: b, pkiDecisions: [], templates: loadTemplates() });
    const text = (h: string, suffix: string): string => String(plan.hosts.find((x) => x.host.name === h)!.artifacts.find((a) => a.path.endsWith(suffix))!.content);
    expect(text('master01', 'kube-controller-manager.service')).toContain('--cluster-signing-cert-file=/opt/kubernetes/ssl/ca-signing.pem');
    expect(text('master01', 'kube-controller-manager.service')).toContain('--client-ca-file=/opt/kubernetes/ssl/ca.pem');
    for (const kc of ['kube-scheduler.kubeconfig', 'kube-proxy.kubeconfig', 'bootstrap.kubeconfig']) {
      const data = /certificate-authority-data: (\S+)/.exec(text(kc === 'kube-scheduler.kubeconfig' ? 'master01' : 'node01', kc))![1]!;
      expect(pemBlocks(Buffer.from(data, 'base64').toString()).map(certFingerprint), kc).toEqual([step.rotation.old.fingerprint, step.rotation.next.fingerprint]);
    }
  });

  it('service-account: sa.pub holds both keys through stage 2, sa.key signs with the new one from stage 2, stage 3 waits 24 h', async () => {
    const dir = await fresh();
    const step = await startCaRotation(INV, dir, 'service-account', src(1, 100));
    const pubs = (b: PkiBundle): string[] => pemBlocks(fileOn(b, 'master01', '/opt/kubernetes/ssl/sa.pub')!).map(publicKeyFingerprint);
    expect(pubs(await bundleOf(dir, 2))).toEqual([step.rotation.old.fingerprint, step.rotation.next.fingerprint]);
    markRolledOut(dir, 3);
    await continueCaRotation(INV, dir, 'service-account', { inventoryFile: INV.source }, src(4, 200));
    const b2 = await bundleOf(dir, 5);
    expect(publicKeyFingerprint(fileOn(b2, 'master01', '/opt/kubernetes/ssl/sa.key')!)).toBe(step.rotation.next.fingerprint);
    expect(pubs(b2)).toEqual([step.rotation.next.fingerprint, step.rotation.old.fingerprint]);
    markRolledOut(dir, 6);
    const e = await refusedUnchanged(dir, () => continueCaRotation(INV, dir, 'service-account', { inventoryFile: INV.source }, src(60, 300)));
    expect(e.hint).toContain('--skip-token-wait');
    await continueCaRotation(INV, dir, 'service-account', { inventoryFile: INV.source }, src(6 + 24 * 60, 300));
    expect(pubs(await bundleOf(dir, 7 + 24 * 60))).toEqual([step.rotation.next.fingerprint]);
  });

  it('one rotation at a time; a rotation needs an existing CA', async () => {
    const dir = await fresh();
    await startCaRotation(INV, dir, 'front-proxy-ca', src(1, 100));
    expect((await refusedUnchanged(dir, () => startCaRotation(INV, dir, 'etcd-ca', src(2, 200)))).hint).toContain(`kubesmith apply -i ${INV.source}`);
    const empty = join(mkdtempSync(join(tmpdir(), 'kubesmith-rotate-')), 'pki');
    const err = await startCaRotation(INV, empty, 'etcd-ca' as IdentityName, src(1, 100)).then(() => undefined, (x: unknown) => x);
    expect((err as Error).message).toContain('the state has no etcd-ca yet');
    expect(existsSync(join(empty, 'rotation.json'))).toBe(false);
  });
});
