/**
 * Safety suite for `pki adopt` (#12 part 5): hostile certificate directories through the real CLI.
 * A key that does not match its certificate, two CAs with one subject, an encrypted key: refused,
 * naming the files, and --write changes nothing. A certificate from an unknown CA, junk, DER files,
 * link loops, a FIFO and huge files are handled without hanging or reading more than 1 MiB. A state
 * directory that already holds a PKI is never replaced. No output ever carries key material.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';
import { handmadePki, makeCa, makeLeaf } from '../support/handmade-pki.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8');
let template = '';

function workspace(): { cwd: string; k8s: string; etcd: string; cli: (...argv: string[]) => Promise<CliResult> } {
  const cwd = mkdtempSync(join(tmpdir(), 'ks-safety-adopt-'));
  cpSync(template, cwd, { recursive: true });
  const cli = async (...argv: string[]): Promise<CliResult> => {
    const r = await runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } });
    expect(`${r.out}${r.err}`, 'no key material in any output').not.toMatch(/PRIVATE KEY|MII[A-Za-z0-9+/]{20}/);
    return r;
  };
  return { cwd, k8s: join(cwd, 'kubernetes/ssl'), etcd: join(cwd, 'etcd/ssl'), cli };
}

/** Runs adopt --write, which must refuse with `message` and leave every file under `cwd` as it was. */
async function refused(w: ReturnType<typeof workspace>, message: string | RegExp, from = `${w.k8s},${w.etcd}`): Promise<CliResult> {
  const before = snapshotTree(w.cwd);
  const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', from, '--service-account', 'from-ca', '--write');
  expect(r.code, r.out + r.err).toBe(1);
  expect(r.out + r.err).toMatch(message);
  expect(r.err).toContain('pki adopt: refused:');
  expect(treeChanges(before, snapshotTree(w.cwd))).toEqual([]);
  return r;
}

const ignored = (r: CliResult): Record<string, string> => Object.fromEntries((JSON.parse(r.out).ignored as { path: string; reason: string }[]).map((i) => [i.path, i.reason]));

beforeAll(() => {
  template = mkdtempSync(join(tmpdir(), 'ks-safety-adopt-template-'));
  writeFileSync(join(template, 'inventory.yaml'), EXAMPLE);
  handmadePki(template, { masters: ['192.168.80.10', '192.168.80.20'], etcd: ['192.168.80.10', '192.168.80.11', '192.168.80.12'], serviceIP: '10.0.0.1' });
}, 120_000);

describe('pki adopt refuses what cannot be adopted safely (exit 1, nothing written)', () => {
  it('a key that does not match its certificate, named by both files', async () => {
    const w = workspace();
    copyFileSync(join(w.k8s, 'kube-proxy-key.pem'), join(w.k8s, 'admin-key.pem'));
    await refused(w, `${w.k8s}/admin-key.pem does not match ${w.k8s}/admin.pem (their public keys differ)`);
  });

  it('two different CAs with the same subject: kubesmith will not guess which one the cluster trusts', async () => {
    const w = workspace();
    makeCa(w.k8s, 'ca-old', '/C=CN/ST=BeiJing/L=BeiJing/O=k8s/OU=System/CN=kubernetes');
    const r = await refused(w, /2 different CA certificates have the same subject "C=CN, ST=BeiJing, L=BeiJing, O=k8s, OU=System, CN=kubernetes"/);
    expect(r.out).toContain(`${w.k8s}/ca-old.pem (sha256 `);
    expect(r.out).toContain(`${w.k8s}/ca.pem (sha256 `);
  });

  it('an encrypted private key (never a passphrase prompt)', async () => {
    const w = workspace();
    execFileSync('openssl', ['genrsa', '-aes256', '-passout', 'pass:secret', '-out', join(w.k8s, 'ca-key.pem'), '2048'], { stdio: 'ignore' });
    await refused(w, `${w.k8s}/ca-key.pem: the private key is encrypted with a passphrase, so kubesmith cannot use it`);
  });

  it('a state directory that already holds a PKI: never replaced; the way out is named', async () => {
    const w = workspace();
    writeFileSync(join(w.cwd, 'inventory.yaml'), EXAMPLE.replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
    const g = await w.cli('pki', 'generate', '-i', 'inventory.yaml');
    expect(g.code, g.err).toBe(0);
    const r = await refused(w, /\.kubesmith\/demo\/pki already holds a PKI for cluster "demo" \(admin\.crt, admin\.key, apiserver-etcd-client\.crt, apiserver-etcd-client\.key and \d+ more\): pki adopt never replaces a CA or key there/);
    expect(r.out).toContain('`kubesmith pki generate -i inventory.yaml --new-ca NAME` (backs up first)');
  });
});

describe('pki adopt lists what it does not use, and never hangs or reads too much', () => {
  it('a certificate from an unknown CA, one forging a known CA\'s name, junk files: listed, not adopted (exit 0)', async () => {
    const w = workspace();
    const elsewhere = mkdtempSync(join(tmpdir(), 'ks-other-ca-'));
    makeLeaf(w.k8s, makeCa(elsewhere, 'other', '/CN=some other CA'), { base: 'stranger', subject: '/CN=system:kube-scheduler', usages: ['clientAuth'] });
    makeLeaf(w.k8s, makeCa(elsewhere, 'twin', '/C=CN/ST=BeiJing/L=BeiJing/O=k8s/OU=System/CN=kubernetes'), { base: 'forged', subject: '/CN=system:kube-scheduler', usages: ['clientAuth'] });
    writeFileSync(join(w.k8s, 'token.csv'), '02b50b05283e98dd0fd71db496ef01e8,kubelet-bootstrap,10001,"system:bootstrappers"\n');
    writeFileSync(join(w.k8s, 'junk.bin'), Buffer.from([0x30, 0x82, 0xff, 0x00, 1, 2, 3]));
    writeFileSync(join(w.k8s, 'half.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n');
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', w.k8s, '--service-account', 'from-ca', '--json');
    expect(r.code, r.err).toBe(0);
    const i = ignored(r);
    expect(i[`${w.k8s}/stranger.pem`]).toBe('signed by a CA that was not found under --from (issuer "CN=some other CA"); not adopted');
    expect(i[`${w.k8s}/forged.pem`]).toBe('its issuer is named "C=CN, ST=BeiJing, L=BeiJing, O=k8s, OU=System, CN=kubernetes" like a CA found here, but that CA\'s key did not sign it (it comes from another CA of the same name); not adopted');
    expect(i[`${w.k8s}/stranger-key.pem`]).toBe(`the private key of ${w.k8s}/stranger.pem, which is not adopted`);
    expect(i[`${w.k8s}/token.csv`]).toBe('not a certificate or key (neither PEM nor DER)');
    expect(i[`${w.k8s}/junk.bin`]).toBe('not a certificate or key (neither PEM nor DER)');
    expect(i[`${w.k8s}/half.pem`]).toBe('a "-----BEGIN" line without a complete PEM block');
    expect(JSON.parse(r.out).certificates.find((c: { id: string }) => c.id === 'kube-scheduler')).toEqual({ id: 'kube-scheduler', action: 'missing', reason: 'no certificate for it was found' });
  });

  it('DER certificate and key files are read by content: the CA is adopted with its key', async () => {
    const w = workspace();
    const der = join(w.cwd, 'der');
    mkdirSync(der);
    execFileSync('openssl', ['x509', '-in', join(w.k8s, 'ca.pem'), '-outform', 'DER', '-out', join(der, 'ca.crt')]);
    execFileSync('openssl', ['rsa', '-in', join(w.k8s, 'ca-key.pem'), '-outform', 'DER', '-out', join(der, 'ca.key')], { stdio: 'ignore' });
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', der, '--service-account', 'from-ca', '--json');
    expect(r.code, r.err).toBe(0);
    const ca = JSON.parse(r.out).cas[0];
    expect(ca).toMatchObject({ id: 'kubernetes-ca', action: 'adopt', from: `${der}/ca.crt + ${der}/ca.key` });
    expect(ca.fingerprint).toBe(new X509Certificate(readFileSync(join(w.k8s, 'ca.pem'))).fingerprint256);
  });

  it('link loops, a link to its own directory, a FIFO, a 2 MiB file and a sparse 10 GiB file', async () => {
    const w = workspace();
    symlinkSync('loop-b', join(w.k8s, 'loop-a'));
    symlinkSync('loop-a', join(w.k8s, 'loop-b'));
    symlinkSync('.', join(w.k8s, 'self'));
    symlinkSync('ca.pem', join(w.k8s, 'ca-link.pem'));
    execFileSync('mkfifo', [join(w.k8s, 'fifo')]);
    writeFileSync(join(w.k8s, 'big.pem'), `-----BEGIN CERTIFICATE-----\n${'A'.repeat(2 * 1024 * 1024)}\n`);
    execFileSync('truncate', ['-s', '10G', join(w.k8s, 'sparse.pem')]);
    const started = Date.now();
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', w.k8s, '--service-account', 'from-ca', '--json');
    expect(r.code, r.err).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    const i = ignored(r);
    expect(i[`${w.k8s}/loop-a`]).toBe('a symbolic link loop, not followed');
    expect(i[`${w.k8s}/loop-b`]).toBe('a symbolic link loop, not followed');
    expect(i[`${w.k8s}/self`]).toBe('a symbolic link to a directory, not followed');
    expect(i[`${w.k8s}/fifo`]).toBe('not a regular file (device, FIFO or socket), not opened');
    expect(i[`${w.k8s}/big.pem`]).toBe(`larger than 1 MiB (${2 * 1024 * 1024 + 29} bytes), not read`);
    expect(i[`${w.k8s}/sparse.pem`]).toBe('larger than 1 MiB (10737418240 bytes), not read');
    // a link to a file is followed: the same CA found twice is one CA
    expect(JSON.parse(r.out).cas[0].from).toBe(`${w.k8s}/ca-link.pem, ${w.k8s}/ca.pem + ${w.k8s}/ca-key.pem`);
  });

  it('--from names a directory that is missing, a host not in the inventory, or a relative remote path: usage error, nothing read', async () => {
    const w = workspace();
    const missing = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', join(w.cwd, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`pki adopt --from ${join(w.cwd, 'nope')}: not a directory (ENOENT)`);
    const host = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', 'master09:/opt/kubernetes/ssl');
    expect(host.code).toBe(2);
    expect(host.err).toContain('pki adopt --from master09:/opt/kubernetes/ssl: "master09" is not a host of the inventory');
    expect(host.err).toContain('hosts: master01, master02, node01, node02');
    const rel = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', 'master01:opt/ssl');
    expect(rel.code).toBe(2);
    expect(rel.err).toContain('the directory on master01 must be an absolute path');
    rmSync(w.cwd, { recursive: true, force: true });
  });
});
