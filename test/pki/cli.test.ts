/**
 * `kubesmith pki generate|check|renew` end to end through the CLI (in-process runCli), with Node's
 * real clock, entropy and key generation, on a real state directory next to a real inventory file.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;

async function cli(cwd: string, argv: string[]): Promise<CliResult> {
  return runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } });
}

/** A temp dir with inventory.yaml (the example, with ECDSA keys so the test is fast). */
function workspace(): { cwd: string; pki: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-cli-'));
  writeFileSync(join(cwd, 'inventory.yaml'), readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
  return { cwd, pki: join(cwd, '.kubesmith', 'demo', 'pki') };
}
const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe('kubesmith pki generate', () => {
  it('issues the PKI with private modes, then keeps everything on the second run', async () => {
    const { cwd, pki } = workspace();
    const first = await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml']);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^issue {3}kubernetes-ca {13}not issued yet$/m);
    expect(first.out).toContain(`${pki}: 0 kept, 21 issued, 0 renewed, 0 blocked`);
    expect([mode(pki), mode(join(pki, 'apiserver.key')), mode(join(pki, 'apiserver.crt')), mode(join(pki, 'bootstrap-token.json')), mode(join(pki, 'sa.pub'))]).toEqual(['700', '600', '644', '600', '644']);
    expect(new X509Certificate(readFileSync(join(pki, 'apiserver.crt'))).publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const second = await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml', '--json']);
    const j = JSON.parse(second.out) as { decisions: { action: string }[]; written: string[] };
    expect(j.decisions.every((d) => d.action === 'keep')).toBe(true);
    expect(j.written).toEqual([]);
  });

  it('exits 1 listing the certificates blocked by a missing CA key (keyless mode)', async () => {
    const { cwd, pki } = workspace();
    await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml']);
    rmSync(join(pki, 'etcd-ca.key'));
    rmSync(join(pki, 'etcd-peer@node02.crt'));
    rmSync(join(pki, 'etcd-peer@node02.key'));
    const r = await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^blocked etcd-peer@node02 /m);
    expect(r.err).toContain(`error: pki generate: 1 certificate needs a CA key that is not in ${pki} (keyless mode)`);
    expect(r.err).toContain('  etcd-peer@node02: not issued yet; needs the etcd-ca key');
    const check = await cli(cwd, ['pki', 'check', '-i', 'inventory.yaml']);
    expect(check.out).toMatch(/^etcd-ca +\w{3} \d\d, \d{4} \d\d:\d\d UTC +9y +ecdsa-p256 +yes$/m);
    expect(check.out).toMatch(/^etcd-peer@node02 +MISSING +missing +etcd-ca +yes$/m);
    expect(check.code).toBe(1);
  });
});

describe('kubesmith pki check', () => {
  it('prints kubeadm-style tables and honours --warn-within', async () => {
    const { cwd } = workspace();
    await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml']);
    const r = await cli(cwd, ['pki', 'check', '-i', 'inventory.yaml', '--warn-within', '30d']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^CERTIFICATE +EXPIRES +RESIDUAL TIME +SIGNED BY +ALGORITHM +EXTERNALLY MANAGED$/m);
    expect(r.out).toMatch(/^apiserver +\w{3} \d\d, \d{4} \d\d:\d\d UTC +36[45]d +kubernetes-ca +ecdsa-p256 +no$/m);
    expect(r.out).toMatch(/^CERTIFICATE AUTHORITY +EXPIRES +RESIDUAL TIME +ALGORITHM +EXTERNALLY MANAGED$/m);
    const soon = await cli(cwd, ['pki', 'check', '-i', 'inventory.yaml', '--warn-within', '400d']);
    expect(soon.code).toBe(1);
    expect(soon.err).toMatch(/^16 certificates need attention \(expiring within 400d/m);
    const json = JSON.parse((await cli(cwd, ['pki', 'check', '-i', 'inventory.yaml', '--json'])).out) as { certificates: { id: string; kind: string }[] };
    expect(json.certificates.filter((c) => c.kind === 'ca').map((c) => c.id)).toEqual(['kubernetes-ca', 'etcd-ca', 'front-proxy-ca']);
    const bad = await cli(cwd, ['pki', 'check', '-i', 'inventory.yaml', '--warn-within', 'soon']);
    expect(bad.code).toBe(2);
  });
});

describe('kubesmith pki renew', () => {
  it('re-signs with the same subject and SANs and a new key, and says what to restart', async () => {
    const { cwd, pki } = workspace();
    await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml']);
    const before = new X509Certificate(readFileSync(join(pki, 'apiserver.crt')));
    const keyBefore = readFileSync(join(pki, 'apiserver.key'), 'utf8');
    const r = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', 'apiserver', 'etcd-server']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^renewed apiserver +valid until \d{4}-\d\d-\d\d \(new key\)$/m);
    expect(r.out).toMatch(/^renewed etcd-server@node02 /m);
    expect(r.out).toContain('it restarts etcd, kube-apiserver where a file changed');
    const after = new X509Certificate(readFileSync(join(pki, 'apiserver.crt')));
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect([after.subject, after.subjectAltName, after.issuer]).toEqual([before.subject, before.subjectAltName, before.issuer]);
    expect(readFileSync(join(pki, 'apiserver.key'), 'utf8')).not.toBe(keyBefore);
    expect(after.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(readFileSync(join(pki, 'apiserver.key')))))).toBe(true);
    const reuse = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', 'admin', '--reuse-keys']);
    expect(reuse.out).toMatch(/^renewed admin +valid until .* \(key reused\)$/m);
    const gen = await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml']);
    expect(gen.out).toContain('21 kept, 0 issued, 0 renewed, 0 blocked');
  });

  it('refuses to renew a CA, an unknown name, or with a missing CA key', async () => {
    const { cwd, pki } = workspace();
    await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml']);
    const ca = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', 'kubernetes-ca']);
    expect(ca.code).toBe(1);
    expect(ca.err).toContain('error: pki renew: kubernetes-ca is a certificate authority; CAs are never renewed');
    const unknown = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown certificate "nope"');
    copyFileSync(join(pki, 'front-proxy-client.crt'), join(cwd, 'saved.crt'));
    rmSync(join(pki, 'front-proxy-ca.key'));
    const keyless = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', '--all']);
    expect(keyless.code).toBe(1);
    expect(keyless.err).toContain('  front-proxy-client: needs front-proxy-ca.key');
    expect(readFileSync(join(pki, 'front-proxy-client.crt'), 'utf8')).toBe(readFileSync(join(cwd, 'saved.crt'), 'utf8'));
  });
});
