/**
 * Local writes of `kubesmith render`: the output tree, reading a previous tree for --diff, and
 * <state>/last-render.json for `plan`. The tree is built in a sibling temp directory and swapped in
 * with renames, so an interrupted render leaves either the old tree or the new one. A render
 * directory proves it is one with its marker (render-marker.ts): kubesmith replaces a directory only
 * when it is new, empty, or holds nothing but what an earlier render of the same cluster wrote there,
 * unchanged; and never one that is, holds or sits inside what the operator owns (render-guard.ts).
 * Directories are 0700 (every host tree holds keys), secret files 0600.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { writeDurable } from './durable-write.js';
import { dirname, join, relative, resolve } from 'node:path';
import { parseManifest, type RenderManifest } from '../render/render-manifest.js';
import type { TreeFile } from '../render/render-tree.js';
import { StateError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256.js';
import { assertRenderOutAllowed, type RenderGuard } from './render-guard.js';
import { buildMarker, MARKER, serializeMarker, type RenderMarker } from './render-marker.js';
import { auditLines, auditOwned, readMarker, removeOwned } from './render-owned.js';
import { recoverSibling, siblingNames, swapIn } from './render-swap.js';

const LAST_RENDER = 'last-render.json';

/** What a render needs besides its files: the cluster it renders and what --out must stay clear of (`outDir` is relative to `guard.cwd`). */
export interface RenderTarget {
  readonly cluster: string;
  readonly guard: RenderGuard;
}

/**
 * The marker of `out` when kubesmith may replace it (undefined: missing or empty); otherwise a
 * StateError that says why and lists what kubesmith did not write.
 */
function assertReplaceable(out: string, cluster: string): RenderMarker | undefined {
  if (!existsSync(out)) return undefined;
  const names = readdirSync(out);
  if (names.length === 0) return undefined;
  const m = readMarker(out);
  const refusing = 'refusing to replace it, nothing was changed';
  if (m === undefined && names.includes('PLAN.md')) {
    throw new StateError(`${out}: looks like a render of an earlier kubesmith (PLAN.md) but has no ${MARKER} listing the files it wrote; ${refusing}`, {
      hint: `check that it holds nothing of yours and delete it yourself (rm -r ${out}), or pass a new --out directory`,
    });
  }
  if (m === undefined) {
    throw new StateError(`${out}: not empty and not a kubesmith render (no ${MARKER}); ${refusing}`, {
      detail: names.slice(0, 20).map((n) => `not written by kubesmith: ${n}`),
      hint: 'pass a new or empty directory, or the --out directory of an earlier render',
    });
  }
  if ('invalid' in m) {
    throw new StateError(`${out}: ${MARKER} is not a marker kubesmith wrote (${m.invalid}); ${refusing}`, {
      hint: `check the directory and delete it yourself, or pass a new --out directory`,
    });
  }
  if (m.cluster !== cluster) {
    throw new StateError(`${out}: holds the render of cluster "${m.cluster}", not "${cluster}"; ${refusing}`, {
      hint: 'pass another --out directory for this cluster (or delete that render yourself)',
    });
  }
  const audit = auditOwned(out, m, { checkContent: true });
  const n = audit.foreign.length + audit.changed.length;
  if (n > 0) {
    throw new StateError(`${out}: holds ${n} file${n === 1 ? '' : 's'} kubesmith did not write (or changed since); ${refusing}`, {
      detail: auditLines(audit),
      hint: `move those out of ${out} (or delete them), then render again; or pass a new --out directory`,
    });
  }
  return m;
}

/**
 * Writes `files` as the new content of `outDir` and returns how many. Refuses (UsageError or
 * StateError, before writing anything) a directory it may not replace; clears what an interrupted
 * render left only when it is provably kubesmith's.
 */
export function writeRenderTree(outDir: string, files: readonly TreeFile[], target: RenderTarget): number {
  const out = resolve(target.guard.cwd, outDir);
  assertRenderOutAllowed(outDir, target.guard);
  const marker = buildMarker(target.cluster, files);
  const { tmp, old } = siblingNames(out);
  recoverSibling(old, 'old', out, target.cluster);
  recoverSibling(tmp, 'tmp', out, target.cluster);
  const previous = assertReplaceable(out, target.cluster);
  mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(tmp, { mode: 0o700 }); // not recursive: it must be new, so it is ours
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StateError(`${tmp}: cannot create the render's temp directory (${code ?? String(err)})`, {
      hint: code === 'EEXIST' ? 'another kubesmith render into the same --out is running; wait for it and run the command again' : `check that you may write to ${dirname(out)}`,
      cause: err,
    });
  }
  try {
    // The marker first: whatever a kill leaves in tmp is then listed in it, and removable next time.
    writeFileSync(join(tmp, MARKER), serializeMarker(marker), { flag: 'wx', mode: 0o644 });
    for (const d of marker.dirs) mkdirSync(join(tmp, d), { mode: 0o700 });
    // 'wx': never write through something that is already there. No fsync per file (thousands for
    // a large cluster); the rename swap keeps the tree all-or-nothing.
    for (const f of files) writeFileSync(join(tmp, f.rel), f.content, { mode: f.mode, flag: 'wx' });
  } catch (err) {
    try {
      removeOwned(tmp, marker);
    } catch {
      // Best effort: what is left is listed in the marker and is cleared by the next render.
    }
    throw new StateError(`${out}: cannot write the render (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  try {
    swapIn(tmp, out, previous);
  } catch (err) {
    if (err instanceof StateError) throw err;
    try {
      removeOwned(tmp, marker);
    } catch {
      // Best effort, as above.
    }
    const code = (err as NodeJS.ErrnoException).code;
    throw new StateError(`${out}: cannot move the new render into place (${code ?? String(err)})`, {
      hint: code === 'EBUSY' ? `${out} is probably a mount point; pass a directory inside it` : `the previous render is unchanged${existsSync(old) ? ` (in ${old})` : ''}`,
      cause: err,
    });
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
      // Links are not followed (a render holds none); the marker is bookkeeping, not a rendered file.
      else if (e.isFile() && !(d === dir && e.name === MARKER)) out.set(relative(dir, p), sha256Hex(readFileSync(p)));
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
