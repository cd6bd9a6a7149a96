/**
 * `pki generate` semantics on a real state directory: idempotency, re-issue on inventory drift,
 * expiry, a replaced CA, keyless mode, and every bad-input case (clear error, nothing overwritten).
 */
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import type { EnsureResult } from '../../src/pki/ensure.js';
import { generatePki } from '../../src/state/pki-flow.js';
import { PkiError, StateError } from '../../src/shared/errors.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { fixedClock, fixtureKeySource, seededEntropy } from '../support/pki-fixture.js';

const T0 = new Date('2026-05-01T08:00:00Z');
const DAY = 86_400_000;
const sources = (now: Date, seed = 's') => ({ clock: fixedClock(now), entropy: seededEntropy(seed), keys: fixtureKeySource() });
const newDir = () => join(mkdtempSync(join(tmpdir(), 'kubesmith-reconcile-')), 'pki');
const run = (inv: Inventory, dir: string, now = T0): Promise<EnsureResult> => generatePki(inv, dir, { sources: sources(now, String(now.getTime())) });
const actions = (r: EnsureResult) => Object.fromEntries(r.decisions.map((d) => [d.id, d.action]));
const snapshot = (dir: string) => readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).sort().map((n) => `${n} ${statSync(join(dir, n)).mode.toString(8)} ${readFileSync(join(dir, n), 'utf8')}`);

async function expectRefusal(inv: Inventory, dir: string, kind: typeof PkiError | typeof StateError, message: RegExp, now = T0): Promise<void> {
  const before = snapshot(dir);
  const err = await run(inv, dir, now).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(kind);
  expect((err as Error).message).toMatch(message);
  expect((err as PkiError).hint).toMatch(/nothing was (read or )?written/);
  expect(snapshot(dir)).toEqual(before);
}

describe('pki generate reconciliation', () => {
  it('issues everything once, then keeps everything (idempotent)', async () => {
    const dir = newDir();
    const first = await run(exampleInventory(), dir);
    expect(new Set(Object.values(actions(first)))).toEqual(new Set(['issue']));
    expect(first.decisions).toHaveLength(21);
    const second = await run(exampleInventory(), dir, new Date(T0.getTime() + 3600_000));
    expect(second.decisions.filter((d) => d.action !== 'keep')).toEqual([]);
    expect(second.writes).toEqual([]);
    expect(second.bundle.certs.get('apiserver')!.certPem).toBe(first.bundle.certs.get('apiserver')!.certPem);
    expect(second.bundle.bootstrapToken).toEqual(first.bundle.bootstrapToken);
  });

  it('re-issues the apiserver cert when a master is added, and issues the new etcd member\'s certs', async () => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    const inv = exampleInventory();
    const bigger = { ...inv, hosts: [...inv.hosts, aHost('master03', '192.168.80.30', ['control-plane', 'etcd'])] };
    const r = await run(bigger, dir);
    const changed = r.decisions.filter((d) => d.action !== 'keep');
    expect(changed.map((d) => [d.id, d.action])).toEqual([
      ['etcd-server@master03', 'issue'],
      ['etcd-peer@master03', 'issue'],
      ['apiserver', 'renew'],
    ]);
    expect(changed[2]!.reason).toBe('SANs no longer match the inventory (+DNS master03, +IP 192.168.80.30)');
    expect(new X509Certificate(r.bundle.certs.get('apiserver')!.certPem).checkIP('192.168.80.30')).toBe('192.168.80.30');
  });

  it('renews leaves expiring within 30 days and replaces an expired token, but keeps the CAs', async () => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    const r = await run(exampleInventory(), dir, new Date(T0.getTime() + 340 * DAY));
    const a = actions(r);
    expect(a['kubernetes-ca']).toBe('keep');
    expect(a.apiserver).toBe('renew');
    expect(r.decisions.find((d) => d.id === 'apiserver')!.reason).toMatch(/^expires within 30 days/);
    expect(a['bootstrap-token']).toBe('renew');
    expect(a['service-account']).toBe('keep');
  });

  it('does not re-issue, run after run, a leaf already clamped to a CA that ends soon', async () => {
    const dir = newDir();
    const inv = exampleInventory();
    const short = { ...inv, pki: { ...inv.pki, caValidityDays: 40 } };
    await run(short, dir);
    const r = await run(short, dir, new Date(T0.getTime() + 20 * DAY));
    expect(r.decisions.find((d) => d.id === 'apiserver')).toMatchObject({ action: 'keep', reason: expect.stringContaining('ends with its CA kubernetes-ca') });
    expect(r.decisions.find((d) => d.id === 'kubernetes-ca')!.reason).toContain('WARNING: expires within 30 days');
  });

  it('re-issues a token that expires within the hour', async () => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    const r = await run(exampleInventory(), dir, new Date(T0.getTime() + 23.5 * 3600_000));
    expect(r.decisions.find((d) => d.id === 'bootstrap-token')).toMatchObject({ action: 'renew', reason: expect.stringMatching(/^expires within 1h/) });
  });

  it('refuses to re-create a missing CA or accept a same-name foreign one; --new-ca re-issues its leaves', async () => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    rmSync(join(dir, 'front-proxy-ca.crt'));
    rmSync(join(dir, 'front-proxy-ca.key'));
    await expectRefusal(exampleInventory(), dir, PkiError, /front-proxy-ca\.crt: the front-proxy-ca certificate and key are missing/);
    const r = await generatePki(exampleInventory(), dir, { sources: sources(T0), newCa: ['front-proxy-ca'] });
    expect(r.decisions.filter((d) => d.action !== 'keep')).toEqual([
      { id: 'front-proxy-ca', action: 'issue', reason: 'issued on request (--new-ca)' },
      { id: 'front-proxy-client', action: 'renew', reason: 'its CA front-proxy-ca is being replaced (--new-ca)' },
    ]);
    // a different etcd CA with the same name (e.g. restored from elsewhere): refused, not re-signed under
    const other = newDir();
    await generatePki(exampleInventory(), other, { sources: { ...sources(T0, 'other'), keys: fixtureKeySource(4) } });
    for (const f of ['etcd-ca.crt', 'etcd-ca.key']) copyFileSync(join(other, f), join(dir, f));
    await expectRefusal(exampleInventory(), dir, PkiError, /etcd-ca\.crt: this is not the etcd-ca this state was created with/);
  });

  it('renews leaves when the inventory changes the key algorithm; CAs keep theirs', async () => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    const inv = exampleInventory();
    const r = await run({ ...inv, pki: { ...inv.pki, keyAlgorithm: 'ecdsa-p256' } }, dir);
    expect(r.decisions.find((d) => d.id === 'admin')).toMatchObject({ action: 'renew', reason: 'key is rsa-2048, inventory wants ecdsa-p256' });
    expect(r.decisions.find((d) => d.id === 'kubernetes-ca')).toMatchObject({ action: 'keep', reason: expect.stringContaining('CAs are never re-keyed') });
  });

  it('switching adminIdentity re-issues admin with the new group and drops super-admin', async () => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    const inv = exampleInventory();
    const r = await run({ ...inv, pki: { ...inv.pki, adminIdentity: 'system-masters' } }, dir);
    expect(r.decisions.find((d) => d.id === 'admin')).toMatchObject({ action: 'renew', reason: 'subject O is [kubeadm:cluster-admins], want [system:masters]' });
    expect(r.decisions.some((d) => d.id === 'super-admin')).toBe(false);
  });
});

describe('keyless mode (CA certificate without its key)', () => {
  it('keeps everything valid, issues what it can, and blocks exactly the certificates needing the missing key', async () => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    rmSync(join(dir, 'etcd-ca.key'));
    rmSync(join(dir, 'etcd-server@node01.crt'));
    rmSync(join(dir, 'etcd-server@node01.key'));
    rmSync(join(dir, 'kube-proxy.crt'));
    rmSync(join(dir, 'kube-proxy.key'));
    const r = await run(exampleInventory(), dir);
    expect(r.blocked).toEqual([{ id: 'etcd-server@node01', action: 'blocked', reason: 'not issued yet; needs the etcd-ca key, which is not in the state dir (keyless mode)' }]);
    expect(actions(r)['kube-proxy']).toBe('issue');
    expect(actions(r)['etcd-ca']).toBe('keep');
    expect(r.decisions.find((d) => d.id === 'etcd-ca')!.reason).toContain('keyless mode');
    expect(readdirSync(dir)).not.toContain('etcd-ca.key');
    expect(readdirSync(dir)).toContain('kube-proxy.crt');
  });
});

describe('bad state is refused with a clear error and nothing is overwritten', () => {
  const fresh = async (): Promise<string> => {
    const dir = newDir();
    await run(exampleInventory(), dir);
    return dir;
  };

  it('a corrupt PEM certificate', async () => {
    const dir = await fresh();
    writeFileSync(join(dir, 'apiserver.crt'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    await expectRefusal(exampleInventory(), dir, PkiError, /apiserver\.crt: not a valid PEM certificate/);
  });

  it('a corrupt key', async () => {
    const dir = await fresh();
    writeFileSync(join(dir, 'admin.key'), 'garbage\n', { mode: 0o600 });
    await expectRefusal(exampleInventory(), dir, PkiError, /admin\.key: not a valid PEM private key/);
  });

  it('a key that does not match its certificate', async () => {
    const dir = await fresh();
    copyFileSync(join(dir, 'admin.key'), join(dir, 'apiserver.key'));
    await expectRefusal(exampleInventory(), dir, PkiError, /apiserver\.key: the private key does not match its certificate apiserver\.crt/);
  });

  it('a leaf signed by another CA', async () => {
    const dir = await fresh();
    copyFileSync(join(dir, 'admin.crt'), join(dir, 'etcd-healthcheck-client.crt'));
    copyFileSync(join(dir, 'admin.key'), join(dir, 'etcd-healthcheck-client.key'));
    await expectRefusal(exampleInventory(), dir, PkiError, /etcd-healthcheck-client\.crt: not signed by its CA etcd-ca \(issuer is "CN=kubernetes"\)/);
  });

  it('an expired CA', async () => {
    const dir = newDir();
    const inv = exampleInventory();
    await run({ ...inv, pki: { ...inv.pki, caValidityDays: 10, leafValidityDays: 5 } }, dir);
    await expectRefusal(inv, dir, PkiError, /kubernetes-ca\.crt: the kubernetes-ca CA expired on 2026-05-11/, new Date(T0.getTime() + 20 * DAY));
  });

  it('a key file without its certificate', async () => {
    const dir = await fresh();
    rmSync(join(dir, 'admin.crt'));
    await expectRefusal(exampleInventory(), dir, StateError, /admin\.key: private key without its certificate admin\.crt/);
  });

  it('a group/world-readable state directory or key', async () => {
    const dir = await fresh();
    chmodSync(dir, 0o755);
    await expectRefusal(exampleInventory(), dir, StateError, /pki: directory is readable by group or others \(mode 0755\)/);
    chmodSync(dir, 0o700);
    chmodSync(join(dir, 'kubernetes-ca.key'), 0o644);
    await expectRefusal(exampleInventory(), dir, StateError, /kubernetes-ca\.key: private file is readable by group or others \(mode 0644\)/);
  });
});
