/**
 * What of a render directory kubesmith owns, and removing exactly that. Both walk the tree with
 * lstat semantics (Dirent types): a symbolic link is never followed, so neither an audit nor a
 * removal can leave the directory, and a link is always "not written by kubesmith".
 */
import { readdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256.js';
import { MARKER, parseMarker, type RenderMarker } from './render-marker.js';

/** The marker at `dir`'s root: undefined when there is none, `{ invalid }` when it is not ours. */
export function readMarker(dir: string): RenderMarker | { readonly invalid: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, MARKER), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { invalid: `cannot be read (${code ?? String(err)})` };
  }
  return parseMarker(text);
}

/** Entries kubesmith did not write (`foreign`) and listed files whose content is no longer its own (`changed`). */
export interface Audit {
  readonly foreign: readonly string[];
  readonly changed: readonly string[];
}

/**
 * Compares `dir` with its marker. `checkContent: false` is for a temp directory an interrupted render
 * left: its last file may be half-written, and every name in it is still one the marker lists.
 */
export function auditOwned(dir: string, marker: RenderMarker, opts: { readonly checkContent: boolean }): Audit {
  const foreign: string[] = [];
  const changed: string[] = [];
  const walk = (abs: string, relDir: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      if (rel === MARKER && e.isFile()) continue;
      if (e.isDirectory()) {
        if (marker.dirs.has(rel)) walk(join(abs, e.name), rel);
        else foreign.push(`${rel}/`);
      } else if (e.isSymbolicLink()) foreign.push(`${rel} (symbolic link)`);
      else if (!e.isFile()) foreign.push(`${rel} (not a regular file)`);
      else {
        const sha = marker.files.get(rel);
        if (sha === undefined) foreign.push(rel);
        else if (opts.checkContent && sha256Hex(readFileSync(join(abs, e.name))) !== sha) changed.push(rel);
      }
    }
  };
  walk(dir, '');
  return { foreign: foreign.sort(), changed: changed.sort() };
}

/**
 * Removes the files and directories `marker` lists, then the marker, then `dir` itself. Call it after
 * an audit found nothing foreign. The marker goes last so that a removal cut short still leaves a
 * directory that proves whose it is; anything unlisted (a race with the operator) is kept, and then
 * the marker and `dir` stay too and a StateError names what was found.
 */
export function removeOwned(dir: string, marker: RenderMarker): void {
  const kept: string[] = [];
  const walk = (abs: string, relDir: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      const p = join(abs, e.name);
      if (rel === MARKER && e.isFile()) continue;
      if (e.isDirectory() && marker.dirs.has(rel)) {
        walk(p, rel);
        if (readdirSync(p).length === 0) rmdirSync(p);
      } else if (e.isFile() && marker.files.has(rel)) unlinkSync(p);
      else kept.push(rel);
    }
  };
  walk(dir, '');
  if (kept.length > 0) {
    throw new StateError(`${dir}: holds files kubesmith did not write; they were kept`, {
      detail: kept.slice(0, 20),
      hint: `move them out of ${dir} and run the command again`,
    });
  }
  unlinkSync(join(dir, MARKER));
  rmdirSync(dir);
}

/** Detail lines for an audit: up to `max` names, then a count of the rest. */
export function auditLines(a: Audit, max = 20): string[] {
  const lines = [...a.foreign.map((r) => `not written by kubesmith: ${r}`), ...a.changed.map((r) => `changed since kubesmith wrote it: ${r}`)];
  return lines.length <= max ? lines : [...lines.slice(0, max), `... and ${lines.length - max} more`];
}
