// A reproducible .tar.gz of a staged directory and sha256 listings. GNU tar and gzip (Debian's
// own) rather than Node's zlib: Node ships Chromium's zlib, whose deflate output may differ with
// the CPU's features, so the same sources could give another sha256 on another machine.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** sha256 hex of a file. */
export function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file under `dir`, relative, in byte order (what `tar --sort=name` and sha256sum see). */
export function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
}

/** Writes `bytes` to `dir/rel` with a fixed mode (0755 executables, 0644 the rest). */
export function put(dir, rel, bytes, executable = false) {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  chmodSync(path, executable ? 0o755 : 0o644);
}

/** SHA256SUMS in sha256sum's format ("<hex>  <name>"), for `sha256sum -c`. */
export function sha256sums(dir, names) {
  return names.map((n) => `${sha256(join(dir, n))}  ${n}\n`).join('');
}

/**
 * `parent/name` -> `outFile` (.tar.gz): entries sorted by name, every mtime `epoch`, owner and
 * group 0 by number, directory modes 0755, no pax/atime headers, and gzip without name or time.
 */
export function tarGz(parent, name, outFile, epoch) {
  const fix = (d) => {
    chmodSync(d, 0o755);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) fix(join(d, e.name));
  };
  fix(join(parent, name));
  const env = { ...process.env, LC_ALL: 'C', TZ: 'UTC', GZIP: '' };
  const tar = execFileSync(
    'tar',
    ['--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '-C', parent, '-cf', '-', name],
    { env, maxBuffer: 1 << 30 },
  );
  const gz = execFileSync('gzip', ['-9', '-n', '-c'], { input: tar, env, maxBuffer: 1 << 30 });
  writeFileSync(outFile, gz);
  chmodSync(outFile, 0o644);
  return statSync(outFile).size;
}
