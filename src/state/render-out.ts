/**
 * Local writes of `kubesmith render`: the output tree (built in a sibling temp directory and
 * swapped in with renames, so an interrupted render never leaves a half-written tree), reading a
 * previous tree for --diff, and <state>/last-render.json for `plan`. Directories are 0700 (every
 * host tree holds keys), secret files 0600.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeDurable } from './durable-write.js';
import { dirname, join, relative, resolve } from 'node:path';
import { parseManifest, type RenderManifest } from '../render/render-manifest.js';
import type { TreeFile } from '../render/render-tree.js';
import { StateError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256.js';

const LAST_RENDER = 'last-render.json';


/** Writes `files` as the new content of `out` (replacing it whole); returns the number of files. */
export function writeRenderTree(outDir: string, files: readonly TreeFile[]): number {
  const out = resolve(outDir);
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new StateError(`${out}: exists and is not a directory`, { hint: 'choose another --out directory' });
  }
  // The tree is replaced as a whole: never do that to a directory that is not an earlier render.
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'PLAN.md'))) {
    throw new StateError(`${out}: not empty and not an earlier kubesmith render (no PLAN.md); refusing to replace it`, {
      hint: 'pass a new or empty directory, or the --out directory of an earlier render',
    });
  }
  const tmp = `${out}.kubesmith-tmp`;
  const old = `${out}.kubesmith-old`;
  rmSync(tmp, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
  try {
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    // Each directory once, parents first (thousands of files share a few dozen directories per host).
    for (const d of [...new Set(files.map((f) => dirname(join(tmp, f.rel))))].sort()) mkdirSync(d, { recursive: true, mode: 0o700 });
    for (const f of files) {
      // No fsync per file: thousands of files for a large cluster; the rename swap keeps it all-or-nothing.
      writeFileSync(join(tmp, f.rel), f.content, { mode: f.mode });
    }
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(out) && existsSync(old)) renameSync(old, out);
    throw new StateError(`${out}: cannot write the render (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  return files.length;
}

/** rel -> sha256 of every file under `dir` (a previous render); StateError when it is not a directory. */
export function readTreeHashes(dir: string): ReadonlyMap<string, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new StateError(`${dir}: not a directory`, { hint: '--diff takes the --out directory of an earlier render' });
  }
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(relative(dir, p), sha256Hex(readFileSync(p)));
    }
  };
  walk(dir);
  return out;
}

/** The manifest of the last render of this cluster, if any. */
export function readLastRender(stateDir: string): RenderManifest | undefined {
  const path = join(stateDir, LAST_RENDER);
  if (!existsSync(path)) return undefined;
  return parseManifest(readFileSync(path, 'utf8'));
}

/** Saves the manifest atomically (temp file + rename) in the state dir (created 0700). */
export function writeLastRender(stateDir: string, manifest: RenderManifest): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, LAST_RENDER);
  const tmp = `${path}.tmp-${process.pid}`;
  writeDurable(tmp, `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
  renameSync(tmp, path);
  return path;
}
