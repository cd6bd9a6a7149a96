/**
 * `kubesmith pki adopt` end to end through the CLI on a PKI made by hand with the real openssl, as
 * the classic binary-install guide's cfssl leaves it (test/support/handmade-pki.ts): the report is
 * exact (keep / re-issue with reconcile's reason / missing), nothing is written without --write,
 * --write imports only what kubesmith keeps, then `pki generate` keeps the adopted CAs and issues the
 * rest signed by them (openssl verify), and `render` installs the adopted CA and service-account key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';
import { handmadePki, makeLeaf } from '../support/handmade-pki.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8');
let template = '';

/** A fresh copy of the hand-made cluster: inventory.yaml, kubernetes/ssl, etcd/ssl. */
function workspace(): { cwd: string; k8s: string; etcd: string; pki: string; cli: (...argv: string[]) => Promise<CliResult> } {
  const cwd = mkdtempSync(join(tmpdir(), 'ks-adopt-'));
  cpSync(template, cwd, { recursive: true });
  return {
    cwd,
    k8s: join(cwd, 'kubernetes/ssl'),
    etcd: join(cwd, 'etcd/ssl'),
    pki: join(cwd, '.kubesmith/demo/pki'),
    cli: (...argv) => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } }),
  };
}

const day = (file: string): string => new Date(new X509Certificate(readFileSync(file)).validTo).toISOString().slice(0, 10);
const fp = (pem: string | Buffer): string => new X509Certificate(pem).fingerprint256;
const verify = (ca: string, cert: string): string => spawnSync('openssl', ['verify', '-CAfile', ca, cert], { encoding: 'utf8' }).stdout.trim();

beforeAll(() => {
  template = mkdtempSync(join(tmpdir(), 'ks-adopt-template-'));
  writeFileSync(join(template, 'inventory.yaml'), EXAMPLE);
  // The example inventory: control plane master01/master02, etcd master01/node01/node02, services 10.0.0.0/24.
  const d = handmadePki(template, { masters: ['192.168.80.10', '192.168.80.20'], etcd: ['192.168.80.10', '192.168.80.11', '192.168.80.12'], serviceIP: '10.0.0.1' });
  // One certificate made the way kubesmith would: kept as it is.
  makeLeaf(d.k8s, { cert: join(d.k8s, 'ca.pem'), key: join(d.k8s, 'ca-key.pem') }, { base: 'controller-manager', subject: '/CN=system:kube-controller-manager', usages: ['clientAuth'], days: 365 });
}, 120_000);

describe('pki adopt on the classic guide\'s PKI', () => {
  it('reports keep / re-issue / missing exactly, and writes nothing without --write', async () => {
    const w = workspace();
    const before = snapshotTree(w.cwd);
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', `${w.k8s},${w.etcd}`, '--service-account', 'from-ca', '--json');
    expect(r.code, r.err).toBe(0);
    expect(treeChanges(before, snapshotTree(w.cwd))).toEqual([]);
    const j = JSON.parse(r.out);
    const k = (f: string): string => `${w.k8s}/${f}`;
    const e = (f: string): string => `${w.etcd}/${f}`;
    expect(j.written).toBe(false);
    expect(j.problems).toEqual([]);
    expect(j.cas).toEqual([
      { id: 'kubernetes-ca', action: 'adopt', reason: `valid until ${day(k('ca.pem'))}; kubesmith signs with it`, from: `${k('ca.pem')} + ${k('ca-key.pem')}`, fingerprint: fp(readFileSync(k('ca.pem'))) },
      { id: 'etcd-ca', action: 'adopt', reason: `valid until ${day(e('ca.pem'))}; kubesmith signs with it`, from: `${e('ca.pem')} + ${e('ca-key.pem')}`, fingerprint: fp(readFileSync(e('ca.pem'))) },
      { id: 'front-proxy-ca', action: 'missing', reason: 'not found; `pki generate` issues a new front-proxy-ca, and everything it signs' },
    ]);
    const etcdServer = `${e('server.pem')} + ${e('server-key.pem')}`;
    const reissueEtcd = (id: string, host: string): object => ({ id: `${id}@${host}`, action: 're-issue', reason: `subject CN is "etcd", want "${host}"`, from: etcdServer });
    expect(j.certificates).toEqual([
      ...['etcd-server', 'etcd-peer'].flatMap((id) => ['master01', 'node01', 'node02'].map((h) => reissueEtcd(id, h))),
      { id: 'etcd-healthcheck-client', action: 'missing', reason: 'no certificate for it was found' },
      { id: 'apiserver-etcd-client', action: 'missing', reason: 'no certificate for it was found' },
      { id: 'apiserver', action: 're-issue', reason: 'subject CN is "kubernetes", want "kube-apiserver"', from: `${k('server.pem')} + ${k('server-key.pem')}` },
      { id: 'apiserver-kubelet-client', action: 'missing', reason: 'no certificate for it was found' },
      { id: 'front-proxy-client', action: 'missing', reason: 'its CA front-proxy-ca was not adopted, so `pki generate` issues it under a new front-proxy-ca' },
      { id: 'admin', action: 're-issue', reason: 'subject CN is "admin", want "kubernetes-admin"', from: `${k('admin.pem')} + ${k('admin-key.pem')}` },
      { id: 'super-admin', action: 'missing', reason: 'no certificate for it was found' },
      { id: 'kube-controller-manager', action: 'keep', reason: `valid until ${day(k('controller-manager.pem'))}`, from: `${k('controller-manager.pem')} + ${k('controller-manager-key.pem')}` },
      { id: 'kube-scheduler', action: 'missing', reason: 'no certificate for it was found' },
      { id: 'kube-proxy', action: 're-issue', reason: 'subject O is [k8s], want []', from: `${k('kube-proxy.pem')} + ${k('kube-proxy-key.pem')}` },
    ]);
    expect(j.serviceAccount).toEqual({ id: 'service-account', action: 'adopt', reason: 'the kubernetes-ca key, as the classic guides sign tokens (--service-account from-ca); existing ServiceAccount tokens stay valid', from: k('ca-key.pem') });
    expect(j.ignored.map((i: { path: string; reason: string }) => `${i.path.replace(w.cwd, '')}: ${i.reason}`)).toEqual([
      '/etcd/ssl/server-csr.json: not a certificate or key (neither PEM nor DER)',
      '/etcd/ssl/server.csr: a certificate signing request (.csr), not needed',
      '/kubernetes/ssl/admin.csr: a certificate signing request (.csr), not needed',
      '/kubernetes/ssl/ca-config.json: not a certificate or key (neither PEM nor DER)',
      '/kubernetes/ssl/ca-csr.json: not a certificate or key (neither PEM nor DER)',
      '/kubernetes/ssl/ca.csr: a certificate signing request (.csr), not needed',
      '/kubernetes/ssl/controller-manager.csr: a certificate signing request (.csr), not needed',
      '/kubernetes/ssl/kube-proxy.csr: a certificate signing request (.csr), not needed',
      '/kubernetes/ssl/server.csr: a certificate signing request (.csr), not needed',
    ]);
    expect(j.files).toEqual(['kubernetes-ca.key', 'kubernetes-ca.crt', 'etcd-ca.key', 'etcd-ca.crt', 'kube-controller-manager.key', 'kube-controller-manager.crt', 'sa.key', 'sa.pub', 'cluster.json']);
    // No key material in anything printed.
    expect(`${r.out}${r.err}`).not.toMatch(/PRIVATE KEY|MII[A-Za-z0-9+/]{20}/);
  });

  it('the text report names each certificate with its reason, and the summary counts them', async () => {
    const w = workspace();
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', w.k8s, '--from', w.etcd, '--service-account', 'from-ca');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^  re-issue  apiserver +subject CN is "kubernetes", want "kube-apiserver"$/m);
    expect(r.out).toMatch(/^  keep      kube-controller-manager +valid until \d{4}-\d\d-\d\d$/m);
    expect(r.out).toContain('3 CAs: 2 adopted with their key, 0 keyless, 1 missing; 16 certificates: 1 keep, 9 re-issue, 6 missing; service-account key: adopt');
    expect(r.out).toContain(`nothing was written (report only); --write imports 9 files into ${w.pki}`);
  });

  it('--write imports the CAs, the kept certificate and sa.key (0600, dir 0700); pki generate keeps them and signs the rest with the adopted CAs; render installs them', async () => {
    const w = workspace();
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', `${w.k8s},${w.etcd}`, '--service-account', 'from-ca', '--write');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`wrote 9 files to ${w.pki}`);
    expect(readdirSync(w.pki).sort()).toEqual(['cluster.json', 'etcd-ca.crt', 'etcd-ca.key', 'kube-controller-manager.crt', 'kube-controller-manager.key', 'kubernetes-ca.crt', 'kubernetes-ca.key', 'sa.key', 'sa.pub']);
    expect(statSync(w.pki).mode & 0o777).toBe(0o700);
    for (const n of readdirSync(w.pki)) expect(statSync(join(w.pki, n)).mode & 0o777, n).toBe(n.endsWith('.key') ? 0o600 : 0o644);
    expect(readFileSync(join(w.pki, 'kubernetes-ca.key'), 'utf8')).toBe(readFileSync(join(w.k8s, 'ca-key.pem'), 'utf8'));
    expect(fp(readFileSync(join(w.pki, 'etcd-ca.crt')))).toBe(fp(readFileSync(join(w.etcd, 'ca.pem'))));
    const caPub = createPublicKey(readFileSync(join(w.k8s, 'ca-key.pem'))).export({ type: 'spki', format: 'pem' }).toString();
    expect(readFileSync(join(w.pki, 'sa.pub'), 'utf8')).toBe(caPub);
    expect(JSON.parse(readFileSync(join(w.pki, 'cluster.json'), 'utf8')).fingerprints['kubernetes-ca']).toBe(fp(readFileSync(join(w.k8s, 'ca.pem'))));

    const g = await w.cli('pki', 'generate', '-i', 'inventory.yaml');
    expect(g.code, g.err).toBe(0);
    for (const id of ['kubernetes-ca', 'etcd-ca', 'kube-controller-manager', 'service-account']) expect(g.out).toMatch(new RegExp(`^keep +${id} `, 'm'));
    expect(g.out).toMatch(/^issue +front-proxy-ca /m);
    expect(g.out).toMatch(/: 4 kept, 17 issued, 0 renewed, 0 blocked$/m);
    expect(fp(readFileSync(join(w.pki, 'kubernetes-ca.crt')))).toBe(fp(readFileSync(join(w.k8s, 'ca.pem'))));
    for (const id of ['apiserver', 'apiserver-kubelet-client', 'admin', 'super-admin', 'kube-scheduler', 'kube-proxy', 'kube-controller-manager']) {
      expect(verify(join(w.k8s, 'ca.pem'), join(w.pki, `${id}.crt`)), id).toMatch(/: OK$/);
    }
    for (const id of ['etcd-server@master01', 'etcd-peer@node02', 'etcd-healthcheck-client', 'apiserver-etcd-client']) {
      expect(verify(join(w.etcd, 'ca.pem'), join(w.pki, `${id}.crt`)), id).toMatch(/: OK$/);
    }
    expect(verify(join(w.k8s, 'ca.pem'), join(w.pki, 'etcd-server@master01.crt'))).not.toMatch(/: OK$/);

    const out = join(w.cwd, 'out');
    const rr = await w.cli('render', '-i', 'inventory.yaml', '--out', out);
    expect(rr.code, rr.err).toBe(0);
    expect(fp(readFileSync(join(out, 'master01/opt/kubernetes/ssl/ca.pem')))).toBe(fp(readFileSync(join(w.k8s, 'ca.pem'))));
    expect(fp(readFileSync(join(out, 'node01/opt/etcd/ssl/ca.pem')))).toBe(fp(readFileSync(join(w.etcd, 'ca.pem'))));
    expect(readFileSync(join(out, 'master01/opt/kubernetes/ssl/sa.pub'), 'utf8')).toBe(caPub);
    const kcm = Buffer.from(readFileSync(join(w.k8s, 'controller-manager.pem'), 'utf8')).toString('base64');
    const rendered = execFileSync('grep', ['-rl', kcm, out], { encoding: 'utf8' }).trim().split('\n');
    expect(rendered.some((f) => f.startsWith(join(out, 'master01/')))).toBe(true);
  });

  it('without a service-account key or a choice, the report says what to pass and --write refuses', async () => {
    const w = workspace();
    const before = snapshotTree(w.cwd);
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', `${w.k8s},${w.etcd}`, '--write');
    expect(r.code).toBe(1);
    expect(r.out).toContain('service-account: no sa.key, sa.pub or service-account key was found.');
    expect(r.out).toContain('then pass --service-account from-ca');
    expect(r.err).toContain('pki adopt: refused: 1 problem (listed above under Problems)');
    expect(treeChanges(before, snapshotTree(w.cwd))).toEqual([]);
  });

  it('an etcd CA without its key (as the guide leaves /opt/etcd/ssl) is adopted keyless: its certificates to re-issue are blocked', async () => {
    const w = workspace();
    execFileSync('rm', [join(w.etcd, 'ca-key.pem')]);
    const r = await w.cli('pki', 'adopt', '-i', 'inventory.yaml', '--from', `${w.k8s},${w.etcd}`, '--service-account', 'from-ca', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.cas[1]).toMatchObject({ id: 'etcd-ca', action: 'adopt-keyless', reason: expect.stringMatching(/key kept offline \(keyless mode\)$/) });
    expect(j.certificates[0]).toMatchObject({ id: 'etcd-server@master01', action: 're-issue', reason: 'subject CN is "etcd", want "master01"; needs the etcd-ca key, which is not in the state dir (keyless mode)' });
    expect(j.certificates[6]).toMatchObject({ id: 'etcd-healthcheck-client', action: 'missing', reason: 'no certificate for it was found; needs the etcd-ca key, which is not in the state dir (keyless mode)' });
    expect(j.notes).toEqual([expect.stringMatching(/^etcd-ca: adopted without its key \(keyless mode\)/)]);
    expect(j.files).toEqual(['kubernetes-ca.key', 'kubernetes-ca.crt', 'etcd-ca.crt', 'kube-controller-manager.key', 'kube-controller-manager.crt', 'sa.key', 'sa.pub', 'cluster.json']);
  });
});
