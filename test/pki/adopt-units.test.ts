/**
 * The pieces of `pki adopt` on their own: kubesmith's own PKI adopted back is kept whole (content,
 * not names, decides), a kubeasz-style single CA leaves etcd-ca and front-proxy-ca missing with the
 * reason, the service-account key choices, --from parsing, and the remote read script run by a real
 * `sh` on a real directory (the same bytes it runs over SSH).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFromOption } from '../../src/cli/commands/_adopt-sources.js';
import { parseReadTree, readTreeArgv } from '../../src/deploy/ssh/read-tree.js';
import { planAdoption } from '../../src/pki/adopt.js';
import type { FoundFile } from '../../src/pki/adopt-types.js';
import { certSpecs } from '../../src/pki/specs.js';
import { readLocalDirs } from '../../src/state/adopt-read.js';
import { savePkiState } from '../../src/state/pki-store.js';
import { createLeaf, loadSigner } from '../../src/pki/x509-write.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { makeCa, makeLeaf } from '../support/handmade-pki.js';
import { pkiFixture, shippedCatalogue } from '../support/pki-fixture.js';

const inv = exampleInventory();
const catalogue = shippedCatalogue();
const file = (path: string, text: string): FoundFile => ({ path, bytes: new TextEncoder().encode(text) });
const plan = (files: readonly FoundFile[], extra: { serviceAccount?: 'from-ca' | 'new' } = {}) =>
  planAdoption({ inventory: inv, catalogue, files, now: new Date(), stateDir: '/state/pki', cli: '-i inv.yaml', ...extra });

describe('adopting kubesmith\'s own PKI back', () => {
  it('keeps every certificate and adopts every CA and the service-account key, whatever the files are called', async () => {
    const bundle = await pkiFixture(inv);
    // Names say nothing but "server"/"peer" (etcd's two certificates have the same subject and SANs).
    const files: FoundFile[] = [];
    let n = 0;
    for (const [id, m] of bundle.certs) {
      const hint = id.startsWith('etcd-peer') ? 'peer-' : id.startsWith('etcd-server') ? 'server-' : '';
      files.push(file(`/pki/${hint}${++n}.crt`, m.certPem));
      if (m.keyPem) files.push(file(`/pki/${hint}${n}.key`, m.keyPem));
    }
    files.push(file('/pki/sa.key', bundle.serviceAccount.privatePem), file('/pki/sa.pub', bundle.serviceAccount.publicPem));
    const { report, writes } = plan(files);
    expect(report.problems).toEqual([]);
    expect(report.ignored).toEqual([]);
    expect(report.cas.map((r) => `${r.action} ${r.id}`)).toEqual(['adopt kubernetes-ca', 'adopt etcd-ca', 'adopt front-proxy-ca']);
    const leaves = certSpecs(catalogue, inv).filter((s) => s.kind === 'leaf').map((s) => s.id);
    expect(report.certificates.map((r) => `${r.action} ${r.id}`)).toEqual(leaves.map((id) => `keep ${id}`));
    // each certificate came from its own file, the key beside it
    for (const r of report.certificates) expect(readBack(files, r.from!.split(' + ')[0]!), r.id).toBe(bundle.certs.get(r.id)!.certPem);
    expect(report.serviceAccount).toMatchObject({ action: 'adopt', from: '/pki/sa.key + /pki/sa.pub' });
    expect(writes.length).toBe(3 * 2 + leaves.length * 2 + 2 + 1);
    expect(writes.filter((w) => w.secret).map((w) => w.name).every((name) => name.endsWith('.key'))).toBe(true);
  });
});

const readBack = (files: readonly FoundFile[], path: string): string => {
  const f = files.find((x) => x.path === path);
  return f && 'bytes' in f ? new TextDecoder().decode(f.bytes) : '';
};

describe('one CA for everything (kubeasz, opsnull)', () => {
  it('is the kubernetes-ca; etcd-ca and front-proxy-ca are missing, and the rows say who signed what was found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-adopt-kubeasz-'));
    const ca = makeCa(dir, 'ca', '/C=CN/ST=HangZhou/L=XS/O=k8s/OU=System/CN=kubernetes');
    makeLeaf(dir, ca, { base: 'kubernetes', subject: '/O=k8s/CN=kubernetes', dns: ['kubernetes', 'kubernetes.default'], ips: ['10.0.0.1', '192.168.80.10'] });
    makeLeaf(dir, ca, { base: 'etcd', subject: '/O=k8s/CN=etcd', ips: ['127.0.0.1', '192.168.80.10', '192.168.80.11', '192.168.80.12'] });
    makeLeaf(dir, ca, { base: 'aggregator-proxy', subject: '/O=k8s/CN=aggregator', usages: ['clientAuth'] });
    const { report } = plan(readLocalDirs([dir], '/'), { serviceAccount: 'from-ca' });
    expect(report.problems).toEqual([]);
    expect(report.cas.map((r) => `${r.action} ${r.id}`)).toEqual(['adopt kubernetes-ca', 'missing etcd-ca', 'missing front-proxy-ca']);
    expect(report.cas[1]!.reason).toBe('not found; `pki generate` issues a new etcd-ca, and everything it signs; the certificates found for its part are signed by kubernetes-ca (one CA for everything, as kubeasz and opsnull do): kubesmith keeps etcd-ca separate, and the next apply moves them to the new one');
    const row = (id: string) => report.certificates.find((r) => r.id === id);
    expect(row('etcd-server@node01')).toEqual({ id: 'etcd-server@node01', action: 'missing', reason: `its CA etcd-ca was not adopted, so \`pki generate\` issues it under a new etcd-ca; found ${dir}/etcd.pem (CN=etcd) is signed by kubernetes-ca` });
    expect(row('front-proxy-client')!.reason).toBe(`its CA front-proxy-ca was not adopted, so \`pki generate\` issues it under a new front-proxy-ca; found ${dir}/aggregator-proxy.pem (CN=aggregator) is signed by kubernetes-ca`);
    expect(row('apiserver')).toMatchObject({ action: 're-issue', reason: 'subject CN is "kubernetes", want "kube-apiserver"' });
    expect(report.ignored.find((i) => i.path === `${dir}/etcd.pem`)?.reason).toBe('not one of kubesmith\'s certificates (CN=etcd, signed by kubernetes-ca); not adopted');
  });
});

describe('the service-account key', () => {
  const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pair = (k: ReturnType<typeof pem>) => ({ key: k.privateKey.export({ type: 'sec1', format: 'pem' }).toString(), pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString() });

  it('sa.key with sa.pub is adopted; two different keys, or sa.pub alone, are problems naming the files', () => {
    const a = pair(pem());
    const b = pair(pem());
    expect(plan([file('/k/sa.key', a.key), file('/k/sa.pub', a.pub)]).report.serviceAccount).toMatchObject({ action: 'adopt', from: '/k/sa.key + /k/sa.pub' });
    expect(plan([file('/k/sa.key', a.key), file('/k/service-account-key.pem', b.key)]).report.problems).toContain('/k/sa.key and /k/service-account-key.pem are different service-account keys; keep the one the apiserver\'s --service-account-signing-key-file names and remove the other from the --from directories');
    const alone = plan([file('/k/sa.pub', a.pub)]).report;
    expect(alone.serviceAccount.reason).toBe('only its public half was found (/k/sa.pub); kubesmith needs the private key to sign tokens');
    const fresh = plan([], { serviceAccount: 'new' }).report.serviceAccount;
    expect(fresh).toEqual({ id: 'service-account', action: 'missing', reason: 'not adopted; `kubesmith pki generate -i inv.yaml --new-ca service-account` issues a new key pair (every existing ServiceAccount token becomes invalid)' });
  });
});

describe('--from', () => {
  const hosts = ['master01', 'node01'];
  it('HOST:/a,/b reads both on HOST; plain entries are local; a later HOST: switches host', () => {
    const s = parseFromOption(['master01:/opt/kubernetes/ssl,/opt/etcd/ssl', './local,/abs', 'node01:/etc/kubernetes/pki,/x'], hosts);
    expect(s.local).toEqual(['./local', '/abs']);
    expect([...s.remote]).toEqual([['master01', ['/opt/kubernetes/ssl', '/opt/etcd/ssl']], ['node01', ['/etc/kubernetes/pki', '/x']]]);
  });
  it('refuses no --from, an empty entry, an unknown host, a relative remote directory', () => {
    expect(() => parseFromOption([], hosts)).toThrow('pki adopt: --from is required');
    expect(() => parseFromOption(['a,,b'], hosts)).toThrow('an empty entry');
    expect(() => parseFromOption(['master1:/x'], hosts)).toThrow('"master1" is not a host of the inventory');
    expect(() => parseFromOption(['node01:x'], hosts)).toThrow('the directory on node01 must be an absolute path');
  });
});

describe('the remote read script, run by a real sh on a real directory', () => {
  it('reads files, skips links to nothing or to directories, special files and big files, reports missing dirs; same bytes as the local reader', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-read-tree-'));
    mkdirSync(join(dir, 'etcd'));
    writeFileSync(join(dir, 'ca.pem'), 'CA\n');
    writeFileSync(join(dir, 'etcd', "we'ird name.pem"), 'X');
    writeFileSync(join(dir, 'empty'), '');
    symlinkSync('loop2', join(dir, 'loop1'));
    symlinkSync('loop1', join(dir, 'loop2'));
    symlinkSync('.', join(dir, 'self'));
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    writeFileSync(join(dir, 'big'), Buffer.alloc(1024 * 1024 + 1));
    const [cmd, ...args] = readTreeArgv([dir, '/no/such/dir']);
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const t = parseReadTree('h1', [dir, '/no/such/dir'], r.stdout);
    expect(t.truncated).toBe(false);
    expect(t.missing).toEqual(['/no/such/dir']);
    const got = Object.fromEntries(t.files.map((f) => [f.path.replace(`h1:${dir}/`, ''), 'bytes' in f ? new TextDecoder().decode(f.bytes) : f.skipped]));
    expect(got).toEqual({
      big: 'larger than 1 MiB (1048577 bytes), not read (no certificate or key is that big)',
      'ca.pem': 'CA\n',
      empty: '',
      "etcd/we'ird name.pem": 'X',
      fifo: 'not a regular file (device, FIFO or socket), not opened',
      loop1: 'a symbolic link to nothing, or a link loop, not followed',
      loop2: 'a symbolic link to nothing, or a link loop, not followed',
      self: 'a symbolic link to a directory, not followed',
    });
    const local = readLocalDirs([dir], '/').filter((f) => 'bytes' in f);
    expect(local.map((f) => f.path.replace(`${dir}/`, '')).sort()).toEqual(['ca.pem', 'empty', "etcd/we'ird name.pem"]);
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe('CA\n');
  });

  it('an answer cut short is reported as truncated, and its cut line is not parsed', () => {
    const b = (s: string): string => Buffer.from(s).toString('base64');
    const t = parseReadTree('h1', ['/d'], `R 1 ok\nF 1 ${b('/d/a.pem')} ${b('AAA')}\nF 1 ${b('/d/b.pem')} QUJD`);
    expect(t.truncated).toBe(true);
    expect(t.files.map((f) => f.path)).toEqual(['h1:/d/a.pem']);
  });
});

describe('the import', () => {
  it('checks under the state lock that the directory is still empty: a PKI that appeared meanwhile is never overwritten', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-adopt-race-'));
    writeFileSync(join(dir, 'kubernetes-ca.crt'), 'written by a pki generate that ran meanwhile', { mode: 0o644 });
    const refuse = (names: readonly string[]): void => {
      if (names.length > 0) throw new Error(`not empty: ${names.join(', ')}`);
    };
    expect(() => savePkiState(dir, [{ name: 'kubernetes-ca.crt', content: 'adopted', secret: false }], undefined, refuse)).toThrow('not empty: kubernetes-ca.crt');
    expect(readdirSync(dir)).toEqual(['kubernetes-ca.crt']);
    expect(readFileSync(join(dir, 'kubernetes-ca.crt'), 'utf8')).toBe('written by a pki generate that ran meanwhile');
  });
});

describe('an adopted CA without a subjectKeyIdentifier', () => {
  it('still signs: leaves get the RFC 5280 key id as AKI, and openssl verifies them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-adopt-noski-'));
    writeFileSync(join(dir, 'min.cnf'), '[req]\ndistinguished_name = dn\n[dn]\n');
    const r = spawnSync('openssl', ['req', '-config', join(dir, 'min.cnf'), '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '30', '-subj', '/CN=old-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-addext', 'subjectKeyIdentifier=none', '-addext', 'authorityKeyIdentifier=none'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-noout', '-ext', 'subjectKeyIdentifier'], { encoding: 'utf8' }).stdout).toBe('');
    const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const signer = loadSigner(readFileSync(join(dir, 'ca.pem'), 'utf8'), readFileSync(join(dir, 'ca.key'), 'utf8'));
    const now = Date.now();
    const leaf = await createLeaf({ commonName: 'system:kube-scheduler', organizations: [], usages: ['clientAuth'], dns: [], ips: [], serialHex: '4a0b', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) }, leafKey, signer);
    writeFileSync(join(dir, 'leaf.pem'), leaf);
    // not -x509_strict: that mode refuses the CA itself for lacking an SKI (error 86), whatever signed the leaf
    const v = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
    expect(`${v.stdout}${v.stderr}`).toContain('leaf.pem: OK');
  });
});
