/**
 * `npm run dist` (scripts/dist/): two builds of the same tree give byte-identical artifacts, and the
 * artifact alone runs: unpacked where no node_modules exist, kubesmith.cjs validates the example
 * and renders it (templates and catalogue found beside the bundle), says what it is in
 * `version --json`, and never loads ssh2's optional native code. The single executable is slow to
 * build (a 100 MB copy of Node); it is built and run by test/hosts/offline-bastion.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, type DistBuild } from '../support/dist-artifact.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const git = (...a: string[]): string => execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim();

describe('npm run dist', () => {
  let work: string;
  let first: DistBuild;
  let second: DistBuild;
  let app: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ks-dist-test-'));
    [first, second] = await Promise.all([buildDist(join(work, 'a'), { sea: false }), buildDist(join(work, 'b'), { sea: false })]);
    execFileSync('tar', ['-xzf', first.tarball, '-C', work]);
    app = join(work, `kubesmith-${first.version}`);
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is reproducible: two builds, the same sha256, and a SHA256SUMS that checks', () => {
    console.log(`two builds in parallel: ${first.seconds.toFixed(1)} s and ${second.seconds.toFixed(1)} s, ${(statSync(first.tarball).size / 1e6).toFixed(2)} MB, sha256 ${sha(first.tarball)}`);
    expect(sha(second.tarball)).toBe(sha(first.tarball));
    expect(readFileSync(join(second.outDir, 'SHA256SUMS'), 'utf8')).toBe(readFileSync(join(first.outDir, 'SHA256SUMS'), 'utf8'));
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: first.outDir, encoding: 'utf8' })).toMatch(/kubesmith-[\d.]+\.tar\.gz: OK/);
    expect(execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: app, encoding: 'utf8' })).toBe('');
  });

  it('has fixed metadata: sorted entries, owner 0/0, the commit time, 0755 only for the program and directories', () => {
    const listing = execFileSync('tar', ['--utc', '-tvzf', first.tarball], { encoding: 'utf8' }).trim().split('\n');
    const names = listing.map((l) => l.split(/\s+/).at(-1) ?? '');
    expect(names).toEqual([...names].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)));
    const when = new Date(Number(git('log', '-1', '--format=%ct')) * 1000).toISOString().slice(0, 16).replace('T', ' ');
    for (const l of listing) {
      const [mode, owner, , day, time, name] = l.split(/\s+/);
      expect(owner, name).toBe('0/0');
      expect(`${day} ${time}`, name).toBe(when);
      expect(mode, name).toBe(name?.endsWith('/') || name?.endsWith('/kubesmith.cjs') ? (name.endsWith('/') ? 'drwxr-xr-x' : '-rwxr-xr-x') : '-rw-r--r--');
    }
    for (const f of ['kubesmith.cjs', 'units/etcd.service.hbs', 'manifests/kubeconfig.yaml.hbs', 'pki/profiles.yaml', 'THIRD-PARTY-LICENSES.txt', 'inventory.example.yaml']) {
      expect(existsSync(join(app, f)), f).toBe(true);
    }
    const licenses = readFileSync(join(app, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    for (const dep of ['ssh2@', 'handlebars@', 'yaml@', 'pino@', 'p-queue@', '@peculiar/x509@']) expect(licenses).toContain(`  ${dep}`);
  });

  it('runs from where it was unpacked, with no node_modules, and says what it is', () => {
    const run = (...a: string[]): string => execFileSync(join(app, 'kubesmith.cjs'), a, { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    expect(existsSync(join(work, 'node_modules'))).toBe(false);
    const info = JSON.parse(run('version', '--json')) as { version: string; build: { layout: string; commit: string }; kubernetes: { minors: string[] } };
    expect(info.version).toBe(first.version);
    expect(info.build.layout).toBe('bundle');
    expect(info.build.commit).toMatch(new RegExp(`^${git('rev-parse', 'HEAD')}(-dirty)?$`));
    expect(info.kubernetes.minors).toContain('v1.37');
    expect(run('validate', '-i', join(app, 'inventory.example.yaml'))).toMatch(/OK: cluster demo/);
    run('render', '-i', join(app, 'inventory.example.yaml'), '--out', join(work, 'rendered'));
    expect(readFileSync(join(work, 'rendered', 'PLAN.md'), 'utf8')).toContain('etcd.service');
  });

  it('loads its SSH code (ssh2): a refused connection is a failure, not a bug', () => {
    // Loopback addresses and a closed port: every connection is refused at once, after ssh2 has
    // loaded and dialled. The bundle once failed here with "__dirname is not defined" (exit 70).
    const key = join(work, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const inv = readFileSync(join(app, 'inventory.example.yaml'), 'utf8')
      .replace(/192\.168\.80\./g, '127.0.80.')
      .replace('  # port: 22', `  port: 1\n  identityFile: ${key}\n  hostKeyPolicy: accept-new\n  knownHostsFile: ${join(work, 'known_hosts')}`);
    writeFileSync(join(work, 'loopback.yaml'), inv);
    const r = spawnSync(join(app, 'kubesmith.cjs'), ['status', '-i', join(work, 'loopback.yaml')], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    expect(r.stderr + r.stdout).toMatch(/etcd master01: root@127\.0\.80\.10:1: cannot connect: ECONNREFUSED/);
    expect(r.stderr).not.toContain('bug in kubesmith');
    expect(r.status).toBe(1);
  });

  it('leaves ssh2\'s optional native code out (a module that throws), and requires nothing but Node built-ins', () => {
    const code = readFileSync(join(app, 'kubesmith.cjs'), 'utf8');
    expect(code).toContain("Cannot find module 'cpu-features' (left out of the kubesmith bundle");
    expect(code).toContain("Cannot find module './crypto/build/Release/sshcrypto.node' (left out of the kubesmith bundle");
    const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const required = [...code.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1] ?? '');
    expect(required.length).toBeGreaterThan(10);
    expect([...new Set(required.filter((m) => !builtin.has(m)))]).toEqual([]);
  });
});
