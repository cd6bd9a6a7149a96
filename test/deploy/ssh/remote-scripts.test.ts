/**
 * The remote halves of writeFile() and stat(), run here with the local /bin/sh (dash) exactly as
 * the host's shell runs them: atomic replace, sha256 refusal, stale temp cleanup, modes, stat
 * output parsing. The same scripts run over SSH in test/hosts/ssh-connection.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStat, statArgv } from '../../../src/deploy/ssh/stat-script.js';
import { SHA_MISMATCH_EXIT, writeArgv } from '../../../src/deploy/ssh/write-script.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const me = `${userInfo().username}:${spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim()}`;
const run = (argv: readonly string[], input = ''): { code: number; stderr: string; stdout: string } => {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr, stdout: r.stdout };
};

describe('write script', () => {
  it('creates parents, sets the mode and replaces the target', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    const target = join(dir, 'a/b/key.pem');
    expect(run(writeArgv(target, 'r1', { mode: 0o600, owner: me, sha256: sha('one') }), 'one').code).toBe(0);
    expect(run(writeArgv(target, 'r2', { mode: 0o640, owner: me, sha256: sha('two') }), 'two').code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(statSync(target).mode & 0o7777).toBe(0o640);
    expect(statSync(join(dir, 'a/b')).mode & 0o777).toBe(0o755 & ~process.umask());
    expect(readdirSync(join(dir, 'a/b'))).toEqual(['key.pem']);
  });

  it('refuses a sha256 mismatch, keeps the target and removes its temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    const target = join(dir, 'unit.service');
    writeFileSync(target, 'old');
    const r = run(writeArgv(target, 'r1', { mode: 0o644, owner: me, sha256: sha('expected') }), 'truncated');
    expect(r.code).toBe(SHA_MISMATCH_EXIT);
    expect(r.stderr).toContain(`expected ${sha('expected')}`);
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['unit.service']);
  });

  it('removes stale temp files of the same target only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    writeFileSync(join(dir, 'f.kubesmith-tmp-dead01'), 'x');
    writeFileSync(join(dir, 'other.kubesmith-tmp-dead02'), 'y');
    expect(run(writeArgv(join(dir, 'f'), 'r1', { mode: 0o644, owner: me, sha256: sha('z') }), 'z').code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['f', 'other.kubesmith-tmp-dead02']);
  });

  it('validates its inputs before anything runs', () => {
    const meta = { mode: 0o644, owner: 'root:root', sha256: sha('') };
    expect(() => writeArgv('relative/path', 'r', meta)).toThrow(/absolute/);
    expect(() => writeArgv('/etc/dir/', 'r', meta)).toThrow(/absolute file path/);
    expect(() => writeArgv('/x', 'r', { ...meta, mode: 0o10000 })).toThrow(/bad mode/);
    expect(() => writeArgv('/x', 'r', { ...meta, owner: 'root;rm -rf /' })).toThrow(/bad owner/);
    expect(() => writeArgv('/x', 'r', { ...meta, sha256: 'ABC' })).toThrow(/sha256/);
  });
});

describe('stat script', () => {
  it('reports regular files by index, with any byte in their names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-stat-'));
    const odd = join(dir, "we'ird\n$(name) *");
    writeFileSync(odd, 'abc', { mode: 0o600 });
    writeFileSync(join(dir, 'b'), '');
    const paths = [join(dir, 'missing'), odd, dir, join(dir, 'b')];
    const r = run(statArgv(paths));
    expect(r.code).toBe(0);
    const s = parseStat(r.stdout, paths);
    expect(s.get(odd)).toEqual({ sha256: sha('abc'), mode: 0o600, owner: me, size: 3 });
    expect(s.get(join(dir, 'b'))).toMatchObject({ sha256: sha(''), size: 0 });
    expect([...s.keys()]).toEqual([odd, join(dir, 'b')]);
  });

  it('insists on absolute paths', () => {
    expect(() => statArgv(['etc/x'])).toThrow(/absolute/);
  });
});
