/**
 * #13 item 5: `pki check` gives missing, mismatched and unreadable material its own status per row,
 * exits 1 when anything is broken (with or without --warn-within), and `--json` still prints every
 * row when one is bad. Real state directories from `pki generate`, then one file damaged per case.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-run.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
let template = '';

interface Row { id: string; kind: string; status: string; problem?: string; expires?: string }

/** A copy of one generated workspace (generating once keeps the file fast). */
function workspace(): { cwd: string; pki: string; cli: (argv: string[]) => ReturnType<typeof runCliCaptured> } {
  const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-check-'));
  copyTree(template, cwd);
  return { cwd, pki: join(cwd, '.kubesmith', 'demo', 'pki'), cli: (argv) => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } }) };
}
function copyTree(from: string, to: string): void {
  for (const rel of ['inventory.yaml', ...listPki(from).map((n) => join('.kubesmith', 'demo', 'pki', n))]) {
    mkdirSync(join(to, rel, '..'), { recursive: true, mode: 0o700 });
    copyFileSync(join(from, rel), join(to, rel));
  }
  chmodSync(join(to, '.kubesmith', 'demo', 'pki'), 0o700);
  for (const n of listPki(to)) if (n.endsWith('.key') || n.endsWith('.json')) chmodSync(join(to, '.kubesmith', 'demo', 'pki', n), 0o600);
}
const listPki = (root: string): string[] => readdirSync(join(root, '.kubesmith', 'demo', 'pki'));
const otherPublicKey = (): string => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const rowsOf = (out: string): Row[] => (JSON.parse(out) as { certificates: Row[] }).certificates;
const statusOf = (rows: Row[], id: string): string | undefined => rows.find((r) => r.id === id)?.status;

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'kubesmith-check-template-'));
  writeFileSync(join(template, 'inventory.yaml'), readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
  const r = await runCliCaptured(['pki', 'generate', '-i', 'inventory.yaml'], { cwd: template, env: { NO_COLOR: '1' } });
  expect(r.code, r.err).toBe(0);
});

describe('pki check statuses', () => {
  it('a healthy PKI: every row ok (the service-account key pair too), exit 0', async () => {
    const w = workspace();
    const r = await w.cli(['pki', 'check', '-i', 'inventory.yaml', '--json']);
    expect(r.code, r.err).toBe(0);
    const rows = rowsOf(r.out);
    expect(rows.filter((x) => x.status !== 'ok')).toEqual([]);
    expect(rows.at(-1)).toMatchObject({ id: 'service-account', kind: 'keypair', status: 'ok' });
  });

  const cases: [string, (pki: string) => void, string, string, RegExp][] = [
    ['a leaf key missing', (p) => rmSync(join(p, 'apiserver.key')), 'apiserver', 'key missing', /apiserver\.key does not exist/],
    ['a leaf key from another pair', (p) => copyFileSync(join(p, 'admin.key'), join(p, 'apiserver.key')), 'apiserver', 'key mismatch', /apiserver\.key is not the key of apiserver\.crt/],
    ['a corrupt leaf key', (p) => writeFileSync(join(p, 'apiserver.key'), '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n'), 'apiserver', 'key unreadable', /not a valid PEM private key/],
    ['a corrupt certificate', (p) => writeFileSync(join(p, 'kube-proxy.crt'), 'garbage\n'), 'kube-proxy', 'unreadable', /not a valid PEM certificate/],
    ['a certificate that is a directory', (p) => { rmSync(join(p, 'kube-proxy.crt')); mkdirSync(join(p, 'kube-proxy.crt')); }, 'kube-proxy', 'unreadable', /cannot be read \(not a regular file\)/],
    ['a certificate that is a symlink', (p) => { rmSync(join(p, 'kube-proxy.crt')); symlinkSync('/etc/hostname', join(p, 'kube-proxy.crt')); }, 'kube-proxy', 'unreadable', /symbolic link/],
    ['a leaf from another CA', (p) => copyFileSync(join(p, 'etcd-healthcheck-client.crt'), join(p, 'admin.crt')), 'admin', 'key mismatch', /admin\.key is not the key/],
    ['a certificate missing, its key left', (p) => rmSync(join(p, 'admin.crt')), 'admin', 'missing', /admin\.key is there without its certificate/],
    ['sa.key missing', (p) => rmSync(join(p, 'sa.key')), 'service-account', 'key missing', /every ServiceAccount token/],
    ['sa.pub from another key', (p) => writeFileSync(join(p, 'sa.pub'), otherPublicKey()), 'service-account', 'key mismatch', /sa\.pub does not match sa\.key/],
  ];
  for (const [name, damage, id, status, problem] of cases) {
    it(`${name}: "${status}" on its row, the other rows still reported, exit 1 with and without --warn-within`, async () => {
      const w = workspace();
      damage(w.pki);
      const json = await w.cli(['pki', 'check', '-i', 'inventory.yaml', '--json']);
      expect(json.code, json.err).toBe(1);
      const rows = rowsOf(json.out);
      expect(rows.length).toBe(20);
      expect(statusOf(rows, id)).toBe(status);
      expect(rows.find((r) => r.id === id)?.problem).toMatch(problem);
      expect(rows.filter((r) => r.status !== 'ok').map((r) => r.id)).toEqual([id]);
      const warn = await w.cli(['pki', 'check', '-i', 'inventory.yaml', '--warn-within', '1d']);
      expect(warn.code).toBe(1);
      expect(warn.err).toContain(`  ${id}: ${status}: `);
    });
  }

  it('a CA certificate missing: its row says how to restore it (generate refuses to re-mint a CA that signed leaves)', async () => {
    const w = workspace();
    rmSync(join(w.pki, 'etcd-ca.crt'));
    const r = await w.cli(['pki', 'check', '-i', 'inventory.yaml', '--json']);
    expect(r.code).toBe(1);
    const rows = rowsOf(r.out);
    expect(statusOf(rows, 'etcd-ca')).toBe('missing');
    expect(rows.find((x) => x.id === 'etcd-ca')?.problem).toMatch(/restore it from a backup or from a host, or replace it on purpose with `kubesmith pki generate --new-ca etcd-ca`/);
    expect(rows.filter((x) => x.id.startsWith('etcd-') && x.id !== 'etcd-ca').every((x) => x.status === 'CA unusable')).toBe(true);
  });

  it('a leaf signed by a different CA of the same name: "not signed by its CA"', async () => {
    const w = workspace();
    const other = mkdtempSync(join(tmpdir(), 'kubesmith-check-other-'));
    writeFileSync(join(other, 'inventory.yaml'), readFileSync(join(w.cwd, 'inventory.yaml')));
    expect((await runCliCaptured(['pki', 'generate', '-i', 'inventory.yaml'], { cwd: other })).code).toBe(0);
    for (const f of ['kube-scheduler.crt', 'kube-scheduler.key']) copyFileSync(join(other, '.kubesmith', 'demo', 'pki', f), join(w.pki, f));
    const r = await w.cli(['pki', 'check', '-i', 'inventory.yaml', '--json']);
    expect(r.code).toBe(1);
    expect(statusOf(rowsOf(r.out), 'kube-scheduler')).toBe('not signed by its CA');
  });

  it('a CA certificate unreadable: its leaves say "CA unusable", the table still prints', async () => {
    const w = workspace();
    writeFileSync(join(w.pki, 'front-proxy-ca.crt'), 'not a cert\n');
    const r = await w.cli(['pki', 'check', '-i', 'inventory.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^front-proxy-client +\w{3} \d\d, \d{4} \d\d:\d\d UTC +CA unusable +front-proxy-ca/m);
    expect(r.out).toMatch(/^front-proxy-ca +UNREADABLE +unreadable/m);
    expect(r.out).toMatch(/^apiserver +\w{3} .* +36[45]d +kubernetes-ca/m);
  });

  it('a keyless CA (key kept offline) is ok and externally managed, not broken', async () => {
    const w = workspace();
    rmSync(join(w.pki, 'etcd-ca.key'));
    const r = await w.cli(['pki', 'check', '-i', 'inventory.yaml', '--json']);
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out).certificates as (Row & { externallyManaged: boolean })[];
    expect(rows.filter((x) => x.status !== 'ok')).toEqual([]);
    expect(rows.filter((x) => x.externallyManaged).map((x) => x.id).sort()).toEqual(
      ['apiserver-etcd-client', 'etcd-ca', 'etcd-healthcheck-client', 'etcd-peer@master01', 'etcd-peer@node01', 'etcd-peer@node02', 'etcd-server@master01', 'etcd-server@node01', 'etcd-server@node02'],
    );
  });
});
