/**
 * Where `render --out` may never go, checked before anything is read or written: a directory that
 * is, holds or sits inside what the operator owns (the inventory, the state directory with the CA
 * keys, the offline bundle), `/`, the home directory, the current directory or one of its ancestors,
 * another render's subtree, a symbolic link or a file. Paths are compared after resolving symbolic
 * links, so `--out link-to-home` or `--out ../..` cannot slip past a textual comparison.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { UsageError } from '../shared/errors.js';
import { bundleDir } from './paths.js';
import { MARKER } from './render-marker.js';

/** A path the render must neither hold nor be inside, and how to name it in a message. */
export interface ProtectedPath {
  readonly path: string;
  /** e.g. "the inventory", "the state directory". */
  readonly what: string;
  /** Also refuse a render inside it (the state directory: keys live there). @default false */
  readonly noInside?: boolean;
}

/** What the guard compares --out with. */
export interface RenderGuard {
  readonly protect: readonly ProtectedPath[];
  /** The command's working directory. */
  readonly cwd: string;
  readonly home: string;
}

/** The guard for a render of `inventory` (whose state directory is `stateDir`) run from `cwd`. */
export function renderGuard(inventory: Inventory, stateDir: string, cwd: string): RenderGuard {
  return {
    protect: [
      { path: inventory.source, what: 'the inventory' },
      // Every cluster's state beside this inventory, not only this one's: all of it holds keys.
      { path: join(dirname(inventory.source), '.kubesmith'), what: 'the state directory', noInside: true },
      { path: stateDir, what: 'the state directory', noInside: true },
      { path: bundleDir(inventory), what: 'the offline bundle (bundle.dir)' },
    ],
    cwd,
    home: homedir(),
  };
}

/** `p` with symbolic links resolved as far as it exists (the rest appended as written). */
export function realish(p: string): string {
  const abs = resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return join(realpathSync.native(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return abs;
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

/** True when `inner` is `outer` or lies under it. */
export function within(inner: string, outer: string): boolean {
  const r = relative(outer, inner);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !r.startsWith(sep));
}

const NEW_DIR = 'pass a new directory for the render, e.g. --out rendered (kubesmith only replaces a directory it rendered itself)';

/** Throws UsageError (exit 2) when `shown` (--out as typed, relative to `g.cwd`) is not a place a render may be written. */
export function assertRenderOutAllowed(shown: string, g: RenderGuard): void {
  const out = resolve(g.cwd, shown);
  const refuse = (why: string, hint = NEW_DIR): never => {
    const name = out === shown ? shown : `${shown} (${out})`;
    throw new UsageError(`--out ${name}: ${why}; refusing to write the render there, nothing was changed`, { hint });
  };
  let st;
  try {
    st = lstatSync(out);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) refuse(`is a symbolic link (to ${readlinkSync(out)})`, 'pass the directory itself or a new one; kubesmith does not replace a link or write through it');
  if (st !== undefined && !st.isDirectory()) refuse('exists and is not a directory', NEW_DIR);
  const real = realish(out);
  if (dirname(real) === real) refuse('is the root directory');
  for (const p of g.protect) {
    const pr = realish(p.path);
    if (within(pr, real)) refuse(pr === real ? `is ${p.what} (${p.path})` : `holds ${p.what} (${p.path})`);
    if (p.noInside === true && within(real, pr)) refuse(`is inside ${p.what} (${p.path})`);
  }
  const home = realish(g.home);
  if (within(home, real)) refuse(home === real ? 'is the home directory' : `holds the home directory (${g.home})`);
  const cwd = realish(g.cwd);
  if (within(cwd, real)) refuse(cwd === real ? 'is the current directory' : 'holds the current directory', 'pass a subdirectory, e.g. --out rendered');
  for (let d = dirname(real); ; d = dirname(d)) {
    if (existsSync(join(d, MARKER))) refuse(`is inside the render directory ${d}`, `pass ${d} itself (it is replaced as a whole) or a directory outside it`);
    if (dirname(d) === d) break;
  }
}
