/**
 * Safety suite, B2 (#13 items 3, 4, 5): `pki check` on damaged, half-saved or over-shared state,
 * `pki renew` on a broken pair, and render/plan/apply --dry-run in keyless mode. For each: the
 * documented exit code and message, and the whole workspace (inventory, state dir, CA and SA keys)
 * byte-for-byte unchanged apart from the command's own output and log files.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
let template = '';
const logs = (rel: string): boolean => rel.includes('/logs/');

function workspace(): { cwd: string; pki: string; cli: (argv: readonly string[]) => ReturnType<typeof runCliCaptured> } {
  const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-safety-b2-'));
  const pki = join(cwd, '.kubesmith', 'demo', 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  copyFileSync(join(template, 'inventory.yaml'), join(cwd, 'inventory.yaml'));
  const from = join(template, '.kubesmith', 'demo', 'pki');
  for (const n of readdirSync(from)) {
    if (n.startsWith('.')) continue;
    copyFileSync(join(from, n), join(pki, n));
    if (n.endsWith('.key') || n.endsWith('.json')) chmodSync(join(pki, n), 0o600);
  }
  return { cwd, pki, cli: (argv) => runCliCaptured([...argv], { cwd, env: { NO_COLOR: '1' } }) };
}

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'kubesmith-safety-b2-template-'));
  writeFileSync(join(template, 'inventory.yaml'), readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
  const r = await runCliCaptured(['pki', 'generate', '-i', 'inventory.yaml'], { cwd: template, env: { NO_COLOR: '1' } });
  expect(r.code, r.err).toBe(0);
});

interface Case {
  readonly what: string;
  readonly damage: (pki: string) => void;
  readonly argv: readonly string[];
  readonly code: number;
  readonly message: RegExp;
}

const CASES: readonly Case[] = [
  { what: 'pki check: a leaf key deleted', damage: (p) => rmSync(join(p, 'etcd-peer@node01.key')), argv: ['pki', 'check', '-i', 'inventory.yaml'], code: 1, message: /etcd-peer@node01: key missing: .*etcd-peer@node01\.key does not exist/ },
  { what: 'pki check --json: a CA certificate truncated', damage: (p) => writeFileSync(join(p, 'etcd-ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n'), argv: ['pki', 'check', '-i', 'inventory.yaml', '--json'], code: 1, message: /etcd-ca: unreadable: .*etcd-ca\.crt: not a valid PEM certificate/ },
  { what: 'pki check: sa.key deleted', damage: (p) => rmSync(join(p, 'sa.key')), argv: ['pki', 'check', '-i', 'inventory.yaml', '--warn-within', '1h'], code: 1, message: /service-account: key missing: .*every ServiceAccount token/ },
  {
    what: 'pki check: an interrupted save (commit marker + pending file) is reported, not finished',
    damage: (p) => {
      writeFileSync(join(p, '.apiserver.crt.pending'), 'half\n');
      writeFileSync(join(p, '.commit'), 'apiserver.crt\n');
    },
    argv: ['pki', 'check', '-i', 'inventory.yaml'],
    code: 1,
    message: /problem: .*an interrupted save is pending/,
  },
  { what: 'pki check: a world-readable key is reported, not refused', damage: (p) => chmodSync(join(p, 'admin.key'), 0o644), argv: ['pki', 'check', '-i', 'inventory.yaml'], code: 1, message: /problem: .*admin\.key: private file readable by group or others \(mode 0644\)/ },
  { what: 'pki renew --all: one pair mismatched refuses everything', damage: (p) => copyFileSync(join(p, 'admin.key'), join(p, 'kube-proxy.key')), argv: ['pki', 'renew', '-i', 'inventory.yaml', '--all'], code: 1, message: /kube-proxy\.key: the private key does not match its certificate/ },
  { what: 'pki renew --due with a CA key offline and nothing due', damage: (p) => rmSync(join(p, 'kubernetes-ca.key')), argv: ['pki', 'renew', '-i', 'inventory.yaml', '--due'], code: 0, message: /^$/ },
  { what: 'plan: keyless etcd-ca with a member certificate missing', damage: (p) => ['etcd-ca.key', 'etcd-server@node02.crt', 'etcd-server@node02.key'].forEach((f) => rmSync(join(p, f))), argv: ['plan', '-i', 'inventory.yaml'], code: 1, message: /plan: 1 certificate is blocked: .*\n {2}blocked etcd-server@node02: not issued yet; needs the etcd-ca key/ },
  { what: 'render: keyless etcd-ca with a member certificate missing', damage: (p) => ['etcd-ca.key', 'etcd-server@node02.crt', 'etcd-server@node02.key'].forEach((f) => rmSync(join(p, f))), argv: ['render', '-i', 'inventory.yaml', '--out', 'out'], code: 1, message: /render: 1 certificate is blocked/ },
  { what: 'apply --dry-run: keyless front-proxy-ca with its leaf key missing', damage: (p) => ['front-proxy-ca.key', 'front-proxy-client.key'].forEach((f) => rmSync(join(p, f))), argv: ['apply', '-i', 'inventory.yaml', '--dry-run'], code: 1, message: /apply --dry-run: 1 certificate is blocked: .*\n {2}blocked front-proxy-client: private key missing; needs the front-proxy-ca key/ },
];

describe('safety: pki check, pki renew and keyless mode change nothing they do not own', () => {
  for (const c of CASES) {
    it(`${c.what}: exit ${c.code}, workspace unchanged`, async () => {
      const w = workspace();
      c.damage(w.pki);
      const before = snapshotTree(w.cwd);
      const r = await w.cli(c.argv);
      expect(r.code, r.err).toBe(c.code);
      expect(r.err).toMatch(c.message);
      expect(r.err).not.toMatch(/bug in kubesmith/);
      expect(treeChanges(before, snapshotTree(w.cwd), logs)).toEqual([]);
    });
  }
});
