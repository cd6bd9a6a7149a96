/**
 * Safety suite, area E (#13 items 13, 14): orphaned certificates are listed, archived only by
 * `pki prune`, never deleted; CAs, SA keys, the token, unknown files and anything that is not what
 * kubesmith wrote are never moved. Every case snapshots the whole scratch tree (inventory, state,
 * CA keys) and asserts exactly what changed.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanView } from '../../src/plan/plan-view.js';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';
import { scratchCluster } from '../render/support/cli.js';

const PKI = '.kubesmith/demo/pki';
const NODE02 = ['etcd-peer@node02.crt', 'etcd-peer@node02.key', 'etcd-server@node02.crt', 'etcd-server@node02.key'];

let dir = '';
let original = '';
const run = (argv: string[]) => runCliCaptured(argv, { cwd: dir, env: { NO_COLOR: '1' } });
const inventory = (edit: (text: string) => string): void => writeFileSync(join(dir, 'inventory.yaml'), edit(original));
const renameNode02 = (t: string): string => t.replace('- name: node02', '- name: node03');

beforeEach(async () => {
  dir = await scratchCluster();
  original = readFileSync(join(dir, 'inventory.yaml'), 'utf8');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('orphaned certificates are listed (plan, pki check, pki generate)', () => {
  it('plan names each orphaned file and why, writes nothing, and exits 0', async () => {
    inventory(renameNode02);
    const before = snapshotTree(dir);
    const r = await run(['plan', '-i', 'inventory.yaml']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('4 files in the PKI state no longer needed by the inventory');
    expect(r.out).toMatch(/etcd-server@node02\.crt +host node02 is no longer in the inventory/);
    expect(r.out).toContain('kubesmith pki prune -i inventory.yaml');
    const json = JSON.parse((await run(['plan', '-i', 'inventory.yaml', '--json'])).out) as PlanView;
    expect(json.orphans.map((o) => o.file)).toEqual(NODE02);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });

  it('pki check and pki generate say so on stderr (stdout stays the report)', async () => {
    inventory(renameNode02);
    const check = await run(['pki', 'check', '-i', 'inventory.yaml', '--json']);
    expect(() => JSON.parse(check.out) as unknown).not.toThrow();
    expect(check.err).toMatch(/etcd-peer@node02\.key +host node02 is no longer in the inventory/);
    const gen = await run(['pki', 'generate', '-i', 'inventory.yaml']);
    expect(gen.err).toContain('4 files in the PKI state no longer needed');
  });

  it('admin identity switched: super-admin is listed and archived; admin and the CAs stay', async () => {
    inventory((t) => t.replace(/^(pki:.*)$/m, '$1\n  adminIdentity: system-masters'));
    const check = await run(['pki', 'check', '-i', 'inventory.yaml']);
    expect(check.err).toMatch(/super-admin\.crt +pki\.adminIdentity is system-masters; super-admin is issued only with cluster-admins/);
    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(dir, PKI))).not.toContain('super-admin.key');
    expect(readdirSync(join(dir, PKI))).toContain('admin.key');
  });
});

describe('pki prune', () => {
  it('--dry-run lists and moves nothing; prune archives exactly the orphans (0700/0600), deletes nothing, then has nothing to do', async () => {
    inventory(renameNode02);
    const before = snapshotTree(dir);
    const dry = await run(['pki', 'prune', '-i', 'inventory.yaml', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(/would archive etcd-server@node02\.key +host node02 is no longer in the inventory/);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);

    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code, r.err).toBe(0);
    const [stamp, ...more] = readdirSync(join(dir, PKI, 'archive'));
    expect(more).toEqual([]);
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    const archive = `${PKI}/archive/${stamp}`;
    expect(r.out).toContain(`4 files moved to ${join(dir, archive)}`);
    const after = snapshotTree(dir);
    expect(treeChanges(before, after)).toEqual([
      `+${PKI}/archive`, `+${archive}`, `+${archive}/ARCHIVED.txt`, ...NODE02.map((f) => `+${archive}/${f}`),
      ...NODE02.map((f) => `-${PKI}/${f}`),
    ].sort());
    // the same bytes, now private; the directories private
    for (const f of NODE02) {
      expect(after.get(`${archive}/${f}`)!.split(' ')[0]).toBe(before.get(`${PKI}/${f}`)!.split(' ')[0]);
      expect(statSync(join(dir, archive, f)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(dir, PKI, 'archive')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, archive)).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, archive, 'ARCHIVED.txt'), 'utf8')).toContain('etcd-server@node02.crt\thost node02 is no longer in the inventory');

    const again = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('nothing to prune');
    expect(treeChanges(after, snapshotTree(dir))).toEqual([]);
  });

  it('never touches CAs, sa.key, the token or unknown files, even with every host gone from the inventory', async () => {
    writeFileSync(join(dir, PKI, 'notes.txt'), 'mine\n');
    writeFileSync(join(dir, PKI, 'mine.crt'), 'mine\n');
    inventory((t) => t.replace(/^ {2}- name: (master02|node0[12])\n(?: {4}.*\n)+/gm, ''));
    const before = snapshotTree(dir);
    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code, r.err).toBe(0);
    const removed = treeChanges(before, snapshotTree(dir)).filter((c) => c.startsWith('-'));
    expect(removed.length).toBeGreaterThan(0);
    expect(removed.every((c) => /-\.kubesmith\/demo\/pki\/etcd-(server|peer)@(node01|node02)\.(crt|key)$/.test(c)), removed.join('\n')).toBe(true);
    for (const kept of ['kubernetes-ca.key', 'etcd-ca.key', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'bootstrap-token.json', 'notes.txt', 'mine.crt']) {
      expect(readdirSync(join(dir, PKI)), kept).toContain(kept);
    }
  });

  it('refuses, moving nothing, when a file named like an orphan is a CA certificate or a CA key', async () => {
    cpSync(join(dir, PKI, 'etcd-ca.crt'), join(dir, PKI, 'etcd-server@ghost.crt'));
    cpSync(join(dir, PKI, 'kubernetes-ca.key'), join(dir, PKI, 'etcd-server@ghost.key'));
    inventory(renameNode02);
    const before = snapshotTree(dir);
    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nothing was archived');
    expect(r.err).toMatch(/etcd-server@ghost\.crt: is a CA certificate/);
    expect(r.err).toMatch(/etcd-server@ghost\.key: is the private key of the kubernetes-ca CA/);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
    const dry = await run(['pki', 'prune', '-i', 'inventory.yaml', '--dry-run']);
    expect(dry.code).toBe(1);
    expect(dry.out).toMatch(/refuse +etcd-server@ghost\.crt/);
  });

  it('refuses a symlink named like an orphan (the operator file behind it stays), and a symlinked archive directory', async () => {
    writeFileSync(join(dir, 'operator.key'), 'mine\n', { mode: 0o600 });
    symlinkSync(join(dir, 'operator.key'), join(dir, PKI, 'etcd-server@ghost.key'));
    inventory(renameNode02);
    let before = snapshotTree(dir);
    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/etcd-server@ghost\.key: not a regular file/);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);

    rmSync(join(dir, PKI, 'etcd-server@ghost.key'));
    mkdirSync(join(dir, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(dir, 'elsewhere'), join(dir, PKI, 'archive'));
    before = snapshotTree(dir);
    const s = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/archive: not a private directory/);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });

  it('after a crash mid-archive (one file moved, three in place), the next prune archives the rest; nothing is lost', async () => {
    inventory(renameNode02);
    const before = snapshotTree(dir);
    // The state a crash between two renames leaves: one file archived, the others still in place.
    mkdirSync(join(dir, PKI, 'archive', 'crashed'), { recursive: true, mode: 0o700 });
    cpSync(join(dir, PKI, NODE02[0]!), join(dir, PKI, 'archive', 'crashed', NODE02[0]!));
    rmSync(join(dir, PKI, NODE02[0]!));
    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('3 files moved to');
    const after = snapshotTree(dir);
    const archived = [...after.keys()].filter((k) => k.startsWith(`${PKI}/archive/`) && NODE02.some((f) => k.endsWith(`/${f}`)));
    expect(archived.map((k) => k.slice(k.lastIndexOf('/') + 1)).sort()).toEqual(NODE02);
    for (const k of archived) expect(after.get(k)!.split(' ')[0]).toBe(before.get(`${PKI}/${k.slice(k.lastIndexOf('/') + 1)}`)!.split(' ')[0]);
    expect((await run(['pki', 'prune', '-i', 'inventory.yaml', '--dry-run'])).out).toContain('nothing to prune');
  });

  it('with no PKI state at all: nothing to prune, exit 0, nothing created', async () => {
    rmSync(join(dir, '.kubesmith'), { recursive: true, force: true });
    const before = snapshotTree(dir);
    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('nothing to prune');
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });

  it('a state directory readable by others is refused before anything moves', async () => {
    inventory(renameNode02);
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, PKI), 0o755);
    const before = snapshotTree(dir);
    const r = await run(['pki', 'prune', '-i', 'inventory.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/readable by group or others/);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });
});
