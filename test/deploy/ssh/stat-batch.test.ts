/**
 * The stat script's batched path, run with this machine's /bin/sh (dash) as a host runs it: many
 * files cost one `stat` and one `sha256sum` whatever their number (cache hits read no process at
 * all), names with any byte keep their index, and when `stat` or `sha256sum` answer with fewer or
 * more lines than files (a file removed meanwhile, a name printed on two lines) every file is still
 * reported right, file by file. Counting comes from wrappers on PATH that log each start.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DigestCache } from '../../../src/deploy/ssh/digest-cache.js';
import { parseStat, statArgv } from '../../../src/deploy/ssh/stat-script.js';

const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
const me = `${userInfo().username}:${spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim()}`;
const which = (cmd: string): string => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();

/** A PATH whose stat, sha256sum and openssl log each start to `log`; `body` may alter what they print. */
function wrapped(log: string, body: Partial<Record<'stat' | 'sha256sum', string>> = {}): NodeJS.ProcessEnv {
  const bin = mkdtempSync(join(tmpdir(), 'ks-wrap-'));
  for (const cmd of ['stat', 'sha256sum', 'openssl'] as const) {
    const real = which(cmd);
    const run = cmd === 'openssl' ? undefined : body[cmd];
    writeFileSync(join(bin, cmd), `#!/bin/sh\necho "${cmd} $#" >> '${log}'\n${run ?? `exec ${real} "$@"`}\n`);
    chmodSync(join(bin, cmd), 0o755);
  }
  return { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
}

function runStat(paths: readonly string[], cache: DigestCache, env: NodeJS.ProcessEnv, record = false): { code: number; stat: Map<string, unknown> } {
  const argv = statArgv(paths, record, cache);
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, encoding: 'utf8' });
  return { code: r.status ?? -1, stat: parseStat(r.stdout, paths) };
}

/** A directory of small files (odd names) and "binaries" (>= the test floor of 64 bytes), plus a missing path and a directory. */
function fixture(): { paths: string[]; want: Map<string, unknown>; cache: DigestCache } {
  const dir = mkdtempSync(join(tmpdir(), 'ks-statb-'));
  const cache: DigestCache = { dir: join(dir, '.digests'), minSize: 64 };
  const want = new Map<string, unknown>();
  const paths: string[] = [];
  const add = (name: string, body: string | Buffer, mode: number): void => {
    const p = join(dir, name);
    writeFileSync(p, body, { mode });
    chmodSync(p, mode);
    paths.push(p);
    want.set(p, { sha256: sha(body), mode, owner: me, size: Buffer.byteLength(body) });
  };
  add('config.toml', 'version = 3\n', 0o644);
  paths.push(join(dir, 'missing'));
  add("we'ird\n$(name) *", 'abc', 0o600);
  add('back\\slash', '', 0o640);
  mkdirSync(join(dir, 'sub'));
  paths.push(join(dir, 'sub'));
  for (let i = 0; i < 4; i++) add(`bin-${i}`, Buffer.alloc(100 + i, i), 0o755);
  add('big\nname', Buffer.alloc(200, 9), 0o755);
  return { paths, want, cache };
}

const counts = (log: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const l of readFileSync(log, 'utf8').trim().split('\n').filter(Boolean)) {
    const cmd = l.split(' ')[0] as string;
    out[cmd] = (out[cmd] ?? 0) + 1;
  }
  return out;
};

describe('stat script, many files at once', () => {
  it('one stat and one sha256sum for all files; cached binaries start no process', () => {
    const { paths, want, cache } = fixture();
    const log = join(mkdtempSync(join(tmpdir(), 'ks-log-')), 'log');
    writeFileSync(log, '');
    // First (recording) stat: every binary is hashed once and cached.
    const first = runStat(paths, cache, wrapped(log), true);
    expect(first.code).toBe(0);
    expect(first.stat).toEqual(want);
    writeFileSync(log, '');
    const again = runStat(paths, cache, wrapped(log));
    expect(again.code).toBe(0);
    expect([...again.stat.keys()]).toEqual([...want.keys()]);
    expect(again.stat).toEqual(want);
    expect(counts(log)).toEqual({ stat: 1, sha256sum: 1 });
    // The cache really answered: a forged entry is what stat reports for that binary.
    const bin = paths.find((p) => p.endsWith('bin-2')) as string;
    const entry = join(cache.dir, sha(bin));
    const forged = sha('forged');
    writeFileSync(entry, readFileSync(entry, 'utf8').replace(/[0-9a-f]{64}\n$/, `${forged}\n`));
    expect((runStat(paths, cache, process.env).stat.get(bin) as { sha256: string }).sha256).toBe(forged);
  });

  it('falls back to one file at a time when stat prints a line short (a file removed meanwhile)', () => {
    const { paths, want, cache } = fixture();
    const log = join(mkdtempSync(join(tmpdir(), 'ks-log-')), 'log');
    const env = wrapped(log, { stat: `if [ $# -gt 5 ]; then ${which('stat')} "$@" | sed '$d'; else exec ${which('stat')} "$@"; fi` });
    const r = runStat(paths, cache, env);
    expect(r.code).toBe(0);
    expect(r.stat).toEqual(want);
    expect(counts(log).stat).toBe(1 + want.size); // the short batch, then one per file
  });

  it('falls back to hashing one by one when sha256sum prints a name on two lines (busybox)', () => {
    const { paths, want, cache } = fixture();
    const log = join(mkdtempSync(join(tmpdir(), 'ks-log-')), 'log');
    const env = wrapped(log, { sha256sum: `if [ $# -gt 1 ]; then ${which('sha256sum')} "$@"; echo "continued name"; else exec ${which('sha256sum')} "$@"; fi` });
    const r = runStat(paths, cache, env);
    expect(r.code).toBe(0);
    expect(r.stat).toEqual(want);
    expect(counts(log).sha256sum).toBe(1 + 3); // the batch, then the three small files one by one
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file fails the stat (exit 1) and is left out; the others are reported (not as root, who reads everything)', () => {
    const { paths, want, cache } = fixture();
    const locked = paths.find((p) => p.endsWith('config.toml')) as string;
    chmodSync(locked, 0o000);
    const r = runStat(paths, cache, process.env);
    expect(r.code).toBe(1);
    want.delete(locked);
    expect(r.stat).toEqual(want);
  });
});
