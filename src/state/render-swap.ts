/**
 * The two names kubesmith uses next to a render directory while it writes one, `DIR.kubesmith-tmp`
 * (the new tree being built) and `DIR.kubesmith-old` (the previous tree between the two renames of
 * the swap), and what it may do with a directory of that name that a killed render left. Each must
 * prove it is kubesmith's with its marker before anything in it is removed: an operator's own
 * directory of that name is refused, never deleted. An interrupted swap is undone (the previous
 * render is put back), so the next render always starts from either the old tree or the new one.
 */
import { existsSync, lstatSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../shared/errors.js';
import { MARKER, type RenderMarker } from './render-marker.js';
import { auditLines, auditOwned, readMarker, removeOwned } from './render-owned.js';

/** The sibling names of `out` (an absolute path). */
export function siblingNames(out: string): { readonly tmp: string; readonly old: string } {
  return { tmp: `${out}.kubesmith-tmp`, old: `${out}.kubesmith-old` };
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Clears a temp or old directory a killed render left next to `out`, or throws StateError when it is
 * not provably kubesmith's. A temp dir's files are not hash-checked: the marker is written before any
 * of them, so each name in it is one kubesmith was writing, and the last one may be half-written.
 */
export function recoverSibling(path: string, kind: 'tmp' | 'old', out: string, cluster: string): void {
  const st = lstatOrUndefined(path);
  if (st === undefined) return;
  const refuse = (why: string, detail: readonly string[] = []): never => {
    throw new StateError(`${path}: ${why}; refusing to remove it, nothing was changed`, {
      detail,
      hint: `kubesmith writes a render next to ${out} under this name; if it is yours, move it away (or pass another --out directory)`,
    });
  };
  if (!st.isDirectory()) refuse(st.isSymbolicLink() ? 'is a symbolic link, not a directory kubesmith made' : 'is not a directory kubesmith made');
  const names = readdirSync(path);
  if (names.length === 0) {
    rmdirSync(path); // an interrupted render's empty directory: nothing in it to lose
    return;
  }
  if (kind === 'tmp' && names.length === 1 && names[0] === MARKER && lstatSync(join(path, MARKER)).isFile()) {
    unlinkSync(join(path, MARKER)); // killed while writing the marker, before any file
    rmdirSync(path);
    return;
  }
  const m = readMarker(path);
  if (m === undefined) return refuse(`holds no ${MARKER}, so kubesmith cannot tell it made it`, names.slice(0, 20));
  if ('invalid' in m) return refuse(`its ${MARKER} is not one kubesmith wrote (${m.invalid})`);
  if (m.cluster !== cluster) return refuse(`holds a render of cluster "${m.cluster}", not "${cluster}"`);
  const audit = auditOwned(path, m, { checkContent: kind === 'old' });
  if (audit.foreign.length + audit.changed.length > 0) refuse('holds files kubesmith did not write', auditLines(audit));
  if (kind === 'old' && lstatOrUndefined(out) === undefined) {
    renameSync(path, out); // killed between the two renames of a swap: the previous render goes back
    return;
  }
  removeOwned(path, m);
}

/**
 * Publishes the complete tree `tmp` as `out`: `out` (already audited; `previous` is its marker, or
 * undefined when it is missing or empty) moves to the old name, `tmp` takes its place, and the old
 * tree is removed by its marker. On a failure before the swap completes, `out` is put back.
 */
export function swapIn(tmp: string, out: string, previous: RenderMarker | undefined): void {
  const { old } = siblingNames(out);
  const hadOut = lstatOrUndefined(out) !== undefined;
  if (hadOut) renameSync(out, old);
  try {
    renameSync(tmp, out);
  } catch (err) {
    if (hadOut && !existsSync(out)) renameSync(old, out);
    throw err;
  }
  if (!hadOut) return;
  try {
    if (previous === undefined) rmdirSync(old);
    else removeOwned(old, previous);
  } catch (err) {
    throw new StateError(`${out}: the new render is in place, but the previous one was kept in ${old}`, {
      detail: err instanceof StateError ? err.detail : [String(err)],
      hint: `something was added to it while kubesmith wrote; check ${old} and delete it yourself`,
      cause: err,
    });
  }
}
