/**
 * The Go crypto/x509 checker (test/go-checker) for tests beyond go-checker.test.ts: built once
 * into test/.work, rebuilt when main.go is newer; run on a manifest, returning its OK/FAIL lines.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WrittenCert } from './pki-files.js';

export const GO = '/usr/lib/go-1.23/bin/go';
const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'test/go-checker');
const BIN = join(ROOT, 'test/.work/go-checker');

/** True when Go is installed (CI installs golang-1.23-go). */
export const haveGo = existsSync(GO);

/** Builds the checker unless the cached binary is newer than main.go. */
export function buildGoChecker(): void {
  if (existsSync(BIN) && statSync(BIN).mtimeMs > statSync(join(SRC, 'main.go')).mtimeMs) return;
  mkdirSync(join(ROOT, 'test/.work'), { recursive: true });
  execFileSync(GO, ['build', '-o', BIN, '.'], {
    cwd: SRC,
    env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOCACHE: join(ROOT, 'test/.work/go-cache'), GOPATH: join(ROOT, 'test/.work/gopath') },
    stdio: 'pipe',
  });
}

/** One manifest entry (test/go-checker/main.go `entry`): `ca` may be a multi-certificate bundle. */
export type GoEntry = WrittenCert;

/** Runs the checker; "OK id" / "FAIL id: why" lines by id (a failing entry does not throw). */
export function runGoChecker(dir: string, entries: readonly GoEntry[]): ReadonlyMap<string, string> {
  const manifest = join(dir, `go-manifest-${entries.length}-${Date.now()}.json`);
  writeFileSync(manifest, JSON.stringify({ entries }));
  let out: string;
  try {
    out = execFileSync(BIN, [manifest], { encoding: 'utf8' });
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? '';
  }
  const lines = new Map<string, string>();
  for (const l of out.split('\n')) {
    const m = /^(OK|FAIL) ([^:]+)/.exec(l);
    if (m) lines.set(m[2] as string, l);
  }
  return lines;
}
