/**
 * The offline bundle: a directory of official release artifacts exactly as downloaded, plus the
 * checksum files upstream publishes. Every checksum is verified (streamed hashing) before anything
 * is sent; only the tar members the plan needs are extracted (system `tar`), into a cache under
 * the state dir keyed by the tarball's sha256; binaries are later streamed from there.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BundleError } from '../shared/errors.js';
import { cacheKey, isChecksumFile, matchBundleFile, memberVariants, parseChecksumFile, type ExpectedDigest } from './bundle-checksums.js';

/** A binary the plan wants: the renderer's (possibly "*"-patterned) file name and tar member. */
export interface BundleNeed {
  readonly bundleFile: string;
  readonly member: string;
}

/** An extracted (or whole-file) binary ready to stream. */
export interface BundleBinary {
  readonly localFile: string;
  readonly size: number;
  readonly sha256: string;
}

/** Where to look and where to cache. */
export interface LoadBundleOptions {
  readonly dir: string;
  /** <state>/cache/bundle */
  readonly cacheDir: string;
  readonly needs: readonly BundleNeed[];
}

interface Digests {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly sha256: string;
  readonly sha512: string;
}

/** Verifies and extracts what `needs` names; keys of the result are "<bundleFile>#<member>". */
export async function loadBundle(opts: LoadBundleOptions): Promise<ReadonlyMap<string, BundleBinary>> {
  const names = await readdir(opts.dir).catch((e: unknown) => {
    throw new BundleError(`${opts.dir}: cannot read the offline bundle directory`, {
      cause: e,
      hint: 'set `bundle.dir` in the inventory to the directory holding the release tarballs and their checksum files',
    });
  });
  const expected = await readExpectations(opts.dir, names);
  const byFile = new Map<string, { pattern: string; members: Set<string> }>();
  for (const need of opts.needs) {
    const file = resolveFile(opts.dir, need.bundleFile, names);
    const entry = byFile.get(file) ?? { pattern: need.bundleFile, members: new Set<string>() };
    entry.members.add(need.member);
    byFile.set(file, entry);
  }
  await mkdir(opts.cacheDir, { recursive: true, mode: 0o700 });
  const out = new Map<string, BundleBinary>();
  for (const [file, { pattern, members }] of byFile) {
    const digests = await verifyFile(opts.dir, file, expected.get(file) ?? [], opts.cacheDir);
    const extracted = await extractMembers(join(opts.dir, file), file, digests, [...members].filter((m) => m !== pattern && m !== file), opts.cacheDir);
    for (const m of members) {
      const whole = m === pattern || m === file;
      const bin = whole ? { localFile: join(opts.dir, file), size: digests.size, sha256: digests.sha256 } : extracted.get(m);
      if (bin) out.set(`${pattern}#${m}`, bin);
    }
  }
  return out;
}

/** Every digest the checksum files in `dir` publish, by the file they cover. */
export async function readExpectations(dir: string, names: readonly string[]): Promise<Map<string, ExpectedDigest[]>> {
  const map = new Map<string, ExpectedDigest[]>();
  for (const n of names.filter(isChecksumFile)) {
    for (const e of parseChecksumFile(n, await readFile(join(dir, n), 'utf8'))) map.set(e.file, [...(map.get(e.file) ?? []), e]);
  }
  return map;
}

function resolveFile(dir: string, pattern: string, names: readonly string[]): string {
  const found = matchBundleFile(pattern, names);
  if (found.length === 1 && found[0] !== undefined) return found[0];
  if (found.length === 0) {
    throw new BundleError(`${dir}: missing ${pattern}`, {
      hint: `download ${pattern} from the project's release page into ${dir}, with its checksum file`,
    });
  }
  throw new BundleError(`${dir}: ${found.length} files match ${pattern}: ${found.join(', ')}`, { hint: 'keep exactly one version in the bundle' });
}

/** Hashes the file (streamed, sha256 + sha512 in one pass) and checks every published digest. */
async function verifyFile(dir: string, file: string, expected: readonly ExpectedDigest[], cacheDir: string): Promise<Digests> {
  if (expected.length === 0) {
    throw new BundleError(`${join(dir, file)}: no checksum published for ${file}`, {
      hint: `put upstream's checksum file next to it (SHA256SUMS, ${file}.sha256 or ${file}.sha512); kubesmith sends nothing it cannot verify`,
    });
  }
  const path = join(dir, file);
  const digests = await cachedDigests(path, cacheDir);
  for (const e of expected) {
    const actual = e.algorithm === 'sha256' ? digests.sha256 : digests.sha512;
    if (actual !== e.hex) {
      throw new BundleError(`${path}: ${e.algorithm} checksum mismatch`, {
        detail: [`expected ${e.hex} (from ${e.source})`, `actual   ${actual}`],
        hint: `the file is corrupt or not the published one: download ${file} again`,
      });
    }
  }
  return digests;
}

/** Digests, reused from <cache>/verified.json while size, mtime, ctime and inode are unchanged. */
async function cachedDigests(path: string, cacheDir: string): Promise<Digests> {
  const index = join(cacheDir, 'verified.json');
  const st = await stat(path);
  const known = (await readJson<Record<string, Digests>>(index)) ?? {};
  const hit = known[path];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ctimeMs === st.ctimeMs && hit.ino === st.ino) return hit;
  const fresh: Digests = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, ...(await hashFile(path)) };
  const latest = (await readJson<Record<string, Digests>>(index)) ?? {};
  await writeAtomic(index, JSON.stringify({ ...latest, [path]: fresh }, null, 1));
  return fresh;
}

/** sha256 and sha512 of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; sha512: string }> {
  const a = createHash('sha256');
  const b = createHash('sha512');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    a.update(chunk as Buffer);
    b.update(chunk as Buffer);
  }
  return { sha256: a.digest('hex'), sha512: b.digest('hex') };
}

interface Manifest {
  readonly [member: string]: { readonly file: string; readonly size: number; readonly sha256: string };
}

/** Extracts the members into <cache>/<sha256>/, reusing earlier extractions. */
async function extractMembers(tarball: string, file: string, digests: Digests, members: readonly string[], cacheDir: string): Promise<Map<string, BundleBinary>> {
  const out = new Map<string, BundleBinary>();
  if (members.length === 0) return out;
  const target = join(cacheDir, cacheKey(digests.sha256));
  const manifestPath = join(target, 'manifest.json');
  let manifest: Manifest = (await readJson<Manifest>(manifestPath)) ?? {};
  const missing = members.filter((m) => manifest[m] === undefined);
  if (missing.length > 0) {
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    try {
      await untar(tarball, tmp, missing.flatMap(memberVariants));
      await mkdir(target, { recursive: true, mode: 0o700 });
      const added: Record<string, Manifest[string]> = {};
      for (const m of missing) {
        const found = await firstExisting(memberVariants(m).map((v) => join(tmp, v)));
        if (!found) {
          throw new BundleError(`${tarball}: has no member ${m}`, { hint: `${file} does not have the upstream release layout; download the official artifact` });
        }
        const name = m.replace(/^\.\//, '').replace(/\//g, '__');
        await rename(found, join(target, name));
        const st = await stat(join(target, name));
        added[m] = { file: name, size: st.size, sha256: (await hashFile(join(target, name))).sha256 };
      }
      manifest = { ...((await readJson<Manifest>(manifestPath)) ?? {}), ...added };
      await writeAtomic(manifestPath, JSON.stringify(manifest, null, 1));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  for (const m of members) {
    const e = manifest[m];
    if (e) out.set(m, { localFile: join(target, e.file), size: e.size, sha256: e.sha256 });
  }
  return out;
}

function untar(tarball: string, into: string, members: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Exit 2 with "Not found in archive" is expected: we ask for both "./x" and "x" spellings.
    execFile('tar', ['-xf', tarball, '-C', into, '--no-same-owner', ...members], { maxBuffer: 1 << 20 }, (err, _out, stderr) => {
      if (!err || (err as { code?: unknown }).code === 2) return resolve();
      reject(new BundleError(`${tarball}: tar failed: ${stderr.trim().split('\n').pop() ?? ''}`, { cause: err, hint: 'the tarball is damaged; download it again' }));
    });
  });
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if (await stat(p).then((s) => s.isFile(), () => false)) return p;
  return undefined;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}
