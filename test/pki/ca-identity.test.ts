/**
 * #13 item 2: a CA or the service-account key is only minted when nothing depends on it. Missing,
 * damaged or foreign ones are refused with the facts and `--new-ca NAME`; `--new-ca` backs up first;
 * the identity record (cluster.json) names the cluster. Real state directories, real certificates.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import type { EnsureResult } from '../../src/pki/ensure.js';
import type { IdentityName } from '../../src/pki/identity.js';
import { renewCerts } from '../../src/pki/renew.js';
import { loadPkiState } from '../../src/state/pki-store.js';
import { generatePki, recordDeployment } from '../../src/state/pki-flow.js';
import { shippedCatalogue } from '../support/pki-fixture.js';
import { KubesmithError, PkiError, StateError } from '../../src/shared/errors.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { fixedClock, fixtureKeySource, seededEntropy } from '../support/pki-fixture.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const T0 = new Date('2026-05-01T08:00:00Z');
const base = exampleInventory();
/** ECDSA: fresh keys for the "other PKI" and replacement runs cost milliseconds, not seconds. */
const INV: Inventory = { ...base, pki: { ...base.pki, keyAlgorithm: 'ecdsa-p256' } };
const newDir = (): string => join(mkdtempSync(join(tmpdir(), 'kubesmith-identity-')), 'pki');
const run = (dir: string, opts: { newCa?: IdentityName[]; keyOffset?: number; now?: Date } = {}): Promise<EnsureResult> =>
  generatePki(INV, dir, {
    sources: { clock: fixedClock(opts.now ?? T0), entropy: seededEntropy(String(opts.keyOffset ?? 0)), keys: fixtureKeySource(opts.keyOffset ?? 0) },
    ...(opts.newCa ? { newCa: opts.newCa } : {}),
  });
const fresh = async (): Promise<string> => {
  const dir = newDir();
  await run(dir);
  return dir;
};
const rm = (dir: string, ...names: string[]): void => names.forEach((n) => rmSync(join(dir, n)));
const fp = (dir: string, name: string): string => new X509Certificate(readFileSync(join(dir, name))).fingerprint256;
const leafIds = (dir: string, signerPrefix: RegExp): string[] => readdirSync(dir).filter((n) => n.endsWith('.crt') && signerPrefix.test(n)).map((n) => n.slice(0, -4));

/** Runs generate expecting a refusal; asserts the state directory did not change at all. */
async function refused(dir: string, kind: typeof KubesmithError = PkiError): Promise<KubesmithError> {
  const before = snapshotTree(dir);
  const err = await run(dir, { keyOffset: 40 }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(kind);
  expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  return err as KubesmithError;
}

describe('a CA is never minted again for a cluster that has one', () => {
  it('refuses a missing kubernetes-ca whose leaves are in the state, naming them and --new-ca', async () => {
    const dir = await fresh();
    rm(dir, 'kubernetes-ca.crt', 'kubernetes-ca.key');
    const e = await refused(dir);
    expect(e.message).toBe(`${dir}/kubernetes-ca.crt: the kubernetes-ca certificate and key are missing; kubesmith will not mint a new kubernetes-ca for a cluster that already has one`);
    expect(e.detail[0]).toMatch(/^\d+ certificates in the state were signed by it: admin, apiserver, apiserver-kubelet-client, /);
    expect(e.detail.join('\n')).toContain('cluster.json (created 2026-05-01T08:00:00.000Z) records it:');
    expect(e.hint).toContain('kubesmith pki generate -i FILE --new-ca kubernetes-ca');
    expect(e.hint).toMatch(/nothing was written$/);
  });

  it('refuses a missing CA even when its leaves are gone too, because cluster.json records it', async () => {
    const dir = await fresh();
    rm(dir, 'front-proxy-ca.crt', 'front-proxy-ca.key', 'front-proxy-client.crt', 'front-proxy-client.key');
    const e = await refused(dir);
    expect(e.message).toContain('front-proxy-ca.crt: the front-proxy-ca certificate and key are missing');
    expect(e.detail).toEqual([expect.stringMatching(/^cluster\.json \(created .*\) records it: [0-9A-F:]{95}$/)]);
  });

  it('refuses a missing CA whose leaves are gone too once the state was deployed', async () => {
    const dir = await fresh();
    recordDeployment(dir, new Date('2026-05-02T00:00:00Z'));
    rm(dir, 'etcd-ca.crt', 'etcd-ca.key', ...leafIds(dir, /^(etcd-(server|peer|healthcheck)|apiserver-etcd)/).flatMap((id) => [`${id}.crt`, `${id}.key`]));
    const e = await refused(dir);
    expect(e.detail).toContain('this state was deployed to hosts on 2026-05-02T00:00:00.000Z');
  });

  it('refuses a CA key whose certificate is missing, without advising to delete the key', async () => {
    const dir = await fresh();
    rm(dir, 'etcd-ca.crt');
    const e = await refused(dir, StateError);
    expect(e.message).toBe(`${dir}/etcd-ca.crt: missing, but its CA key etcd-ca.key is there`);
    expect(e.hint).not.toMatch(/delete/);
    expect(e.hint).toContain('--new-ca etcd-ca');
  });

  it('refuses an empty or truncated CA certificate with a restore-or---new-ca hint', async () => {
    const dir = await fresh();
    writeFileSync(join(dir, 'kubernetes-ca.crt'), readFileSync(join(dir, 'kubernetes-ca.crt'), 'utf8').slice(0, 200));
    const e = await refused(dir);
    expect(e.message).toMatch(/kubernetes-ca\.crt: not a valid PEM certificate/);
    expect(e.hint).not.toMatch(/delete/);
    expect(e.hint).toContain('--new-ca kubernetes-ca');
    writeFileSync(join(dir, 'kubernetes-ca.crt'), '');
    expect((await refused(dir)).message).toMatch(/kubernetes-ca\.crt: not a valid PEM certificate/);
  });

  it('refuses a CA certificate paired with another CA\'s key, and a sa.pub from another pair, never advising to delete', async () => {
    const dir = await fresh();
    copyFileSync(join(dir, 'etcd-ca.key'), join(dir, 'kubernetes-ca.key'));
    const e = await refused(dir);
    expect(e.message).toBe(`${dir}/kubernetes-ca.key: the private key does not match its certificate kubernetes-ca.crt`);
    expect(e.hint).not.toMatch(/delete/);
    expect(e.hint).toContain('--new-ca kubernetes-ca');
    const clean = await fresh();
    const other = newDir();
    await run(other, { keyOffset: 20 });
    rm(clean, 'cluster.json');
    copyFileSync(join(other, 'sa.key'), join(clean, 'sa.key'));
    const e2 = await refused(clean);
    expect(e2.message).toBe(`${clean}/sa.pub: does not match sa.key`);
    expect(e2.hint).not.toMatch(/delete/);
    expect(e2.hint).toContain('--new-ca service-account');
  });

  it('refuses a leaf certificate put in a CA\'s place', async () => {
    const dir = await fresh();
    copyFileSync(join(dir, 'apiserver.crt'), join(dir, 'kubernetes-ca.crt'));
    copyFileSync(join(dir, 'apiserver.key'), join(dir, 'kubernetes-ca.key'));
    expect((await refused(dir)).message).toBe(`${dir}/kubernetes-ca.crt: not a CA certificate (no basicConstraints CA:TRUE), so it cannot sign`);
  });

  it('refuses a CA replaced by a foreign one of the same name (was: every leaf silently re-signed)', async () => {
    const dir = await fresh();
    const other = newDir();
    await run(other, { keyOffset: 20 });
    for (const f of ['etcd-ca.crt', 'etcd-ca.key']) copyFileSync(join(other, f), join(dir, f));
    const e = await refused(dir);
    expect(e.message).toBe(`${dir}/etcd-ca.crt: this is not the etcd-ca this state was created with (it was replaced by another CA)`);
    expect(e.detail.slice(0, 2)).toEqual([`in the state now:     ${fp(other, 'etcd-ca.crt')}`, expect.stringMatching(/^recorded in cluster\.json: /)]);
    // Without the record, the leaves it did not sign still give it away.
    rm(dir, 'cluster.json');
    const e2 = await refused(dir);
    expect(e2.message).toBe(`${dir}/etcd-ca.crt: this etcd-ca did not sign 8 of the certificates in the state (it was replaced by another CA of the same name)`);
    expect(e2.detail[0]).toMatch(/^not signed by it: etcd-server@master01, /);
  });

  it('refuses a damaged cluster.json rather than rewriting it', async () => {
    const dir = await fresh();
    writeFileSync(join(dir, 'cluster.json'), '{"cluster": "demo"');
    expect((await refused(dir)).message).toMatch(/cluster\.json: not a valid cluster identity record/);
  });
});

describe('pki renew', () => {
  it('refuses to re-sign leaves under a CA that replaced the cluster\'s own (was: every leaf moved to the foreign CA)', async () => {
    const dir = await fresh();
    const other = newDir();
    await run(other, { keyOffset: 20 });
    for (const f of ['kubernetes-ca.crt', 'kubernetes-ca.key']) copyFileSync(join(other, f), join(dir, f));
    const sources = { clock: fixedClock(T0), entropy: seededEntropy('r'), keys: fixtureKeySource(40) };
    const err = await renewCerts({ names: [], all: true, reuseKeys: false }, INV, shippedCatalogue(), loadPkiState(dir), sources).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PkiError);
    expect((err as PkiError).message).toBe(`${dir}/kubernetes-ca.crt: this is not the kubernetes-ca this state was created with (it was replaced by another CA)`);
  });
});

describe('the service-account key', () => {
  it('refuses a missing sa.key while sa.pub is there (every ServiceAccount token would die)', async () => {
    const dir = await fresh();
    rm(dir, 'sa.key');
    const e = await refused(dir);
    expect(e.message).toBe(`${dir}/sa.key: missing; a new service-account key would invalidate every ServiceAccount token of the cluster`);
    expect(e.detail[0]).toBe('sa.pub is still there: ServiceAccount tokens were signed with its private half');
    expect(e.hint).toContain('--new-ca service-account');
  });

  it('refuses a missing sa.key and sa.pub in a state with an apiserver certificate, and a foreign sa.key', async () => {
    const dir = await fresh();
    const other = newDir();
    await run(other, { keyOffset: 20 });
    copyFileSync(join(other, 'sa.key'), join(dir, 'sa.key'));
    rm(dir, 'sa.pub');
    expect((await refused(dir)).message).toBe(`${dir}/sa.key: not the service-account key this state was created with`);
    rm(dir, 'sa.key', 'cluster.json');
    expect((await refused(dir)).detail).toEqual(['the state holds an issued apiserver certificate: the cluster already signs tokens with this key']);
  });
});

describe('--new-ca NAME: the explicit, backed-up replacement', () => {
  it('backs up the old CA and its leaves (0700/0600), re-issues them under the new CA, records it, then converges', async () => {
    const dir = await fresh();
    const oldFp = fp(dir, 'etcd-ca.crt');
    const oldServer = readFileSync(join(dir, 'etcd-server@master01.crt'), 'utf8');
    const keepK8s = fp(dir, 'kubernetes-ca.crt');
    const r = await run(dir, { newCa: ['etcd-ca'], keyOffset: 30, now: new Date('2026-06-01T10:20:30Z') });
    expect(r.decisions.find((d) => d.id === 'etcd-ca')).toEqual({ id: 'etcd-ca', action: 'issue', reason: 'replaced on request (--new-ca); the old one is backed up' });
    expect(r.decisions.find((d) => d.id === 'etcd-server@master01')).toMatchObject({ action: 'renew', reason: 'its CA etcd-ca is being replaced (--new-ca)' });
    expect(r.decisions.find((d) => d.id === 'apiserver')!.action).toBe('keep');
    const backup = join(dir, 'backup', '20260601T102030.000Z');
    expect((statSync(backup).mode & 0o777).toString(8)).toBe('700');
    expect(readFileSync(join(backup, 'etcd-server@master01.crt'), 'utf8')).toBe(oldServer);
    expect(readdirSync(backup).sort()).toEqual(expect.arrayContaining(['etcd-ca.crt', 'etcd-ca.key', 'apiserver-etcd-client.key', 'cluster.json']));
    for (const f of readdirSync(backup)) expect((statSync(join(backup, f)).mode & 0o777).toString(8)).toBe('600');
    expect(fp(dir, 'etcd-ca.crt')).not.toBe(oldFp);
    expect(fp(dir, 'kubernetes-ca.crt')).toBe(keepK8s);
    expect(new X509Certificate(readFileSync(join(dir, 'etcd-server@master01.crt'))).verify(new X509Certificate(readFileSync(join(dir, 'etcd-ca.crt'))).publicKey)).toBe(true);
    const rec = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { fingerprints: Record<string, string>; replaced: unknown[] };
    expect(rec.fingerprints['etcd-ca']).toBe(fp(dir, 'etcd-ca.crt'));
    expect(rec.replaced).toEqual([{ name: 'etcd-ca', fingerprint: oldFp, at: '2026-06-01T10:20:30.000Z', backup: 'backup/20260601T102030.000Z' }]);
    const again = await run(dir, { keyOffset: 50 });
    expect(again.writes).toEqual([]);
  });

  it('replaces a missing sa.key on request, backing up the sa.pub it replaces', async () => {
    const dir = await fresh();
    const oldPub = readFileSync(join(dir, 'sa.pub'), 'utf8');
    rm(dir, 'sa.key');
    const r = await run(dir, { newCa: ['service-account'], keyOffset: 30 });
    expect(r.decisions.find((d) => d.id === 'service-account')!.action).toBe('issue');
    expect(readFileSync(join(dir, r.backup!.dir, 'sa.pub'), 'utf8')).toBe(oldPub);
    expect(readFileSync(join(dir, 'sa.pub'), 'utf8')).not.toBe(oldPub);
  });
});

describe('the cluster identity record', () => {
  it('is written with the first CAs ("new") and recorded for a state that predates it ("recorded")', async () => {
    const dir = newDir();
    const r = await run(dir);
    expect(r.identity.status).toBe('new');
    const rec = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { cluster: string; fingerprints: Record<string, string> };
    expect(rec.cluster).toBe('demo');
    expect(rec.fingerprints['kubernetes-ca']).toBe(fp(dir, 'kubernetes-ca.crt'));
    expect(Object.keys(rec.fingerprints)).toEqual(['kubernetes-ca', 'etcd-ca', 'front-proxy-ca', 'service-account']);
    expect((await run(dir)).identity.status).toBe('unchanged');
    rm(dir, 'cluster.json');
    const again = await run(dir);
    expect(again.identity.status).toBe('recorded');
    expect(again.writes.map((w) => w.name)).toEqual(['cluster.json']);
  });
});
