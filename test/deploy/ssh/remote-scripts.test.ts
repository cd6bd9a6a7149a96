/**
 * The remote halves of writeFile() and stat(), run here with the local /bin/sh (dash) exactly as
 * the host's shell runs them: atomic replace, sha256 refusal, stale temp cleanup, modes, stat
 * output parsing, the one-pass hash, the digest cache and its invalidation. Every test passes its
 * own digest cache directory (this may run as root: the machine's /var/lib/kubesmith stays
 * untouched). The same scripts run over SSH in test/hosts/ssh-connection.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DigestCache } from '../../../src/deploy/ssh/digest-cache.js';
import { parseStat, statArgv } from '../../../src/deploy/ssh/stat-script.js';
import { SHA_MISMATCH_EXIT, writeArgv } from '../../../src/deploy/ssh/write-script.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const me = `${userInfo().username}:${spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim()}`;
const digests = mkdtempSync(join(tmpdir(), 'ks-digests-'));
/** The cache as on a host but for every size (the real one skips files under 1 MiB). */
const everySize = (dir: string): DigestCache => ({ dir, minSize: 0 });
const put = (target: string, body: string | Buffer, tmp = 'r1', mode = 0o644): ReturnType<typeof run> =>
  run(writeArgv(target, tmp, { mode, owner: me, sha256: createHash('sha256').update(body).digest('hex') }, everySize(digests)), body);
const run = (argv: readonly string[], input: string | Buffer = '', env: NodeJS.ProcessEnv = process.env): { code: number; stderr: string; stdout: string } => {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, stderr: r.stderr, stdout: r.stdout };
};

describe('write script', () => {
  it('creates parents, sets the mode and replaces the target', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    const target = join(dir, 'a/b/key.pem');
    expect(run(writeArgv(target, 'r1', { mode: 0o600, owner: me, sha256: sha('one') }, everySize(digests)), 'one').code).toBe(0);
    expect(run(writeArgv(target, 'r2', { mode: 0o640, owner: me, sha256: sha('two') }, everySize(digests)), 'two').code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(statSync(target).mode & 0o7777).toBe(0o640);
    expect(statSync(join(dir, 'a/b')).mode & 0o777).toBe(0o755 & ~process.umask());
    expect(readdirSync(join(dir, 'a/b'))).toEqual(['key.pem']);
  });

  it('refuses a sha256 mismatch, keeps the target and removes its temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    const target = join(dir, 'unit.service');
    writeFileSync(target, 'old');
    const r = run(writeArgv(target, 'r1', { mode: 0o644, owner: me, sha256: sha('expected') }, everySize(digests)), 'truncated');
    expect(r.code).toBe(SHA_MISMATCH_EXIT);
    expect(r.stderr).toContain(`expected ${sha('expected')}`);
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['unit.service']);
  });

  it('small content (below the cache size, length known): the short script, same checks, half the processes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-small-'));
    const target = join(dir, 'a/b/kubelet.conf');
    const cache: DigestCache = { dir: join(dir, 'cache'), minSize: 1 << 20 };
    const small = (body: string, want = sha(body), tmp = 'r1', mode = 0o640) => run(writeArgv(target, tmp, { mode, owner: me, sha256: want }, cache, Buffer.byteLength(body)), body);
    const argv = writeArgv(target, 'r0', { mode: 0o600, owner: me, sha256: sha('x') }, cache, 1);
    expect(argv.join(' ')).not.toContain('dpick');
    expect(argv.join(' ')).not.toContain('sleep 0.25');
    writeFileSync(join(dir, 'a.kubesmith-tmp-dead01'), 'not ours'); // another target's leftover
    expect(small('one').code).toBe(0);
    expect(small('two', sha('two'), 'r2', 0o600).code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(statSync(target).mode & 0o7777).toBe(0o600);
    const bad = small('truncated', sha('expected'), 'r3');
    expect(bad.code).toBe(SHA_MISMATCH_EXIT);
    expect(bad.stderr).toContain(`expected ${sha('expected')}`);
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'a/b'))).toEqual(['kubelet.conf']);
    expect(readdirSync(dir).sort()).toEqual(['a', 'a.kubesmith-tmp-dead01']);
    expect(existsSync(cache.dir)).toBe(false); // small files get no cache entry
    // a file at the root of the file system keeps "/" as its directory
    expect(writeArgv('/kubesmith-test-never-written', 'r', { mode: 0o644, owner: me, sha256: sha('') }, cache, 0).join(' ')).toContain('dir=${dir:-/}');
  });

  it('removes stale temp files of the same target only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    writeFileSync(join(dir, 'f.kubesmith-tmp-dead01'), 'x');
    writeFileSync(join(dir, 'other.kubesmith-tmp-dead02'), 'y');
    expect(run(writeArgv(join(dir, 'f'), 'r1', { mode: 0o644, owner: me, sha256: sha('z') }, everySize(digests)), 'z').code).toBe(0);
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
    const r = run(statArgv(paths, false, everySize(digests)));
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

/** An environment whose openssl consumes its input and prints a well-formed but wrong digest. */
function which(cmd: string): string {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
}

function brokenOpenssl(): NodeJS.ProcessEnv {
  const bin = mkdtempSync(join(tmpdir(), 'ks-bin-'));
  writeFileSync(join(bin, 'openssl'), `#!/bin/sh\ncat >/dev/null\necho "${'0'.repeat(64)} *stdin"\n`, { mode: 0o755 });
  return { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
}

describe('write script: large content, failures, hashers', () => {
  it('hashes while receiving: 8 MB of binary content arrives intact, with a digest cache entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    const body = Buffer.alloc(8 << 20);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE((i * 2654435761) >>> 0, i);
    const r = put(join(dir, 'kubelet'), body, 'r1', 0o755);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'kubelet')).equals(body)).toBe(true);
    expect(statSync(join(dir, 'kubelet')).mode & 0o7777).toBe(0o755);
    expect(readdirSync(dir)).toEqual(['kubelet']);
    const entry = readFileSync(join(digests, sha(join(dir, 'kubelet'))), 'utf8');
    const st = spawnSync('stat', ['-c', '%s %d %i %.9Y %.9Z', join(dir, 'kubelet')], { encoding: 'utf8' }).stdout.trim();
    expect(entry).toBe(`${st} ${createHash('sha256').update(body).digest('hex')}\n`);
  });

  it('writes back while the content arrives: fdatasync of the growing temp file, stopped once stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    // A `sync` first in PATH that logs "<size of its file argument>" and then does the real sync.
    const bin = mkdtempSync(join(tmpdir(), 'ks-bin-'));
    const log = join(dir, 'sync.log');
    writeFileSync(join(bin, 'sync'), `#!/bin/sh\nfor a; do f=$a; done\n[ -f "$f" ] && stat -c %s -- "$f" >> ${log}\nexec ${which('sync')} "$@"\n`, { mode: 0o755 });
    const chunk = Buffer.alloc(1 << 20, 7);
    const body = Buffer.concat([chunk, chunk, chunk, chunk]);
    const target = join(dir, 'out', 'containerd');
    const argv = writeArgv(target, 'r1', { mode: 0o755, owner: me, sha256: createHash('sha256').update(body).digest('hex') }, everySize(digests));
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // 4 MiB over about 1.6 s: the content arrives while the background loop runs.
    for (let i = 0; i < 4; i += 1) {
      child.stdin.write(chunk);
      await new Promise((r) => setTimeout(r, 400));
    }
    child.stdin.end();
    expect(await exited, stderr).toBe(0);
    expect(readFileSync(target).equals(body)).toBe(true);
    const sizes = readFileSync(log, 'utf8').trim().split('\n').map(Number);
    // Synced while incomplete (the loop), then in full (the final fdatasync before the rename).
    expect(sizes.filter((n) => n > 0 && n < body.length).length).toBeGreaterThanOrEqual(2);
    expect(sizes).toContain(body.length);
    // The loop is gone: nothing is logged after the script ended.
    const lines = sizes.length;
    await new Promise((r) => setTimeout(r, 700));
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(lines);
  });

  it('short input (an interrupted upload) fails the check and leaves the old target, no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    writeFileSync(join(dir, 'etcd'), 'old');
    const full = 'x'.repeat(100_000);
    const r = run(writeArgv(join(dir, 'etcd'), 'r1', { mode: 0o755, owner: me, sha256: sha(full) }, everySize(digests)), full.slice(0, 60_000));
    expect(r.code).toBe(SHA_MISMATCH_EXIT);
    expect(readdirSync(dir)).toEqual(['etcd']);
    expect(readFileSync(join(dir, 'etcd'), 'utf8')).toBe('old');
  });

  it.each(['openssl', 'sha256sum'])('a temp file that cannot be stored fails even though the sha256 matches (%s)', async (hasher) => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    writeFileSync(join(dir, 'f'), 'old');
    // Neither cat nor tee can open a directory for writing (even as root); tee still feeds the hash.
    mkdtempSync(join(dir, 'f.kubesmith-tmp-r9'));
    const tmp = readdirSync(dir).find((n) => n.startsWith('f.kubesmith-tmp-r9'))!.slice('f.kubesmith-tmp-'.length);
    const r = run(writeArgv(join(dir, 'f'), tmp, { mode: 0o644, owner: me, sha256: sha('new') }, everySize(digests)), 'new', hasher === 'openssl' ? process.env : brokenOpenssl());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not store the content in .*f\.kubesmith-tmp-r9/);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('old');
    // The write-back loop (fdatasync succeeds on a directory) ended with the script.
    await new Promise((res) => setTimeout(res, 600));
    expect(spawnSync('pgrep', ['-f', dir]).status).toBe(1);
  });

  it('falls back to sha256sum when openssl is missing or answers wrongly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-write-'));
    const env = brokenOpenssl();
    const body = Buffer.alloc(2 << 20, 1);
    const want = createHash('sha256').update(body).digest('hex');
    const target = join(dir, 'bin');
    const r = run(writeArgv(target, 'r1', { mode: 0o755, owner: me, sha256: want }, everySize(digests)), body, env);
    expect(r.code, r.stderr).toBe(0);
    rmSync(join(digests, sha(target)));
    expect(parseStat(run(statArgv([target], false, everySize(digests)), '', env).stdout, [target]).get(target)?.sha256).toBe(want);
  });
});

describe('digest cache', () => {
  const statOf = (path: string, record = false, cache = digests): string | undefined =>
    parseStat(run(statArgv([path], record, everySize(cache))).stdout, [path]).get(path)?.sha256;
  /** Replaces the cached sha256 of `path` with a made-up one: a later stat reporting it proves the cache was used. */
  const forge = (path: string, cache = digests): string => {
    const file = join(cache, sha(path));
    const fake = sha(`forged ${path}`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/[0-9a-f]{64}\n$/, `${fake}\n`));
    return fake;
  };

  it('stat trusts an entry whose keys all match (no re-hash)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-cache-'));
    const f = join(dir, 'bin');
    expect(put(f, 'v1').code).toBe(0);
    expect(statOf(f)).toBe(sha('v1'));
    const fake = forge(f);
    expect(statOf(f)).toBe(fake);
  });

  it('same size, mtime restored to the nanosecond: the content change is seen (ctime moved)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-cache-'));
    const f = join(dir, 'bin');
    const ref = join(dir, 'ref');
    expect(put(f, 'AAAA').code).toBe(0);
    forge(f);
    writeFileSync(ref, '');
    expect(spawnSync('touch', ['-r', f, ref]).status).toBe(0);
    const mtime = (p: string): string => spawnSync('stat', ['-c', '%.9Y %s %i', p], { encoding: 'utf8' }).stdout;
    const before = mtime(f);
    writeFileSync(f, 'BBBB'); // in place: same inode, same size
    expect(spawnSync('touch', ['-m', '-r', ref, f]).status).toBe(0);
    expect(mtime(f)).toBe(before);
    expect(statOf(f)).toBe(sha('BBBB'));
  });

  it('a replaced file (new inode) with the same size and mtime is re-hashed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-cache-'));
    const f = join(dir, 'bin');
    expect(put(f, 'AAAA').code).toBe(0);
    forge(f);
    writeFileSync(join(dir, 'other'), 'CCCC');
    expect(spawnSync('touch', ['-r', f, join(dir, 'other')]).status).toBe(0);
    expect(spawnSync('mv', ['-f', join(dir, 'other'), f]).status).toBe(0);
    expect(statOf(f)).toBe(sha('CCCC'));
  });

  it('chmod alone also invalidates (ctime), and a recording stat stores the new hash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-cache-'));
    const f = join(dir, 'bin');
    expect(put(f, 'v1').code).toBe(0);
    forge(f);
    chmodSync(f, 0o700);
    expect(statOf(f, true)).toBe(sha('v1'));
    const fake = forge(f); // recorded again with the new keys, so trusted again
    expect(statOf(f)).toBe(fake);
  });

  it('with the default size floor small files are hashed, never cached', () => {
    const cache: DigestCache = { dir: mkdtempSync(join(tmpdir(), 'ks-digests-')), minSize: 1 << 20 };
    const dir = mkdtempSync(join(tmpdir(), 'ks-cache-'));
    const small = join(dir, 'small');
    const big = join(dir, 'big');
    const bigBody = Buffer.alloc(1 << 20, 7);
    expect(run(writeArgv(small, 'r1', { mode: 0o600, owner: me, sha256: sha('key') }, cache), 'key').code).toBe(0);
    expect(run(writeArgv(big, 'r1', { mode: 0o755, owner: me, sha256: createHash('sha256').update(bigBody).digest('hex') }, cache), bigBody).code).toBe(0);
    expect(readdirSync(cache.dir)).toEqual([sha(big)]);
    // A well-formed entry with the right keys would be trusted for a binary; a small file ignores it.
    const keys = spawnSync('stat', ['-c', '%s %d %i %.9Y %.9Z', small], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(cache.dir, sha(small)), `${keys} ${sha('forged')}\n`);
    const s = parseStat(run(statArgv([small, big], true, cache)).stdout, [small, big]);
    expect(s.get(small)?.sha256).toBe(sha('key'));
    expect(s.get(big)?.size).toBe(1 << 20);
  });

  it('a stat that does not record (dry-run) writes nothing; garbage entries are ignored', () => {
    const cache = mkdtempSync(join(tmpdir(), 'ks-digests-'));
    const dir = mkdtempSync(join(tmpdir(), 'ks-cache-'));
    const f = join(dir, 'bin');
    writeFileSync(f, 'plain');
    expect(statOf(f, false, cache)).toBe(sha('plain'));
    expect(readdirSync(cache)).toEqual([]);
    expect(statOf(f, true, cache)).toBe(sha('plain'));
    expect(readdirSync(cache)).toEqual([sha(f)]);
    expect(statSync(join(cache, sha(f))).mode & 0o777).toBe(0o600);
    writeFileSync(join(cache, sha(f)), 'not an entry\n');
    expect(statOf(f, false, cache)).toBe(sha('plain'));
  });
});
