/**
 * The ownership marker of a render directory, `DIR/.kubesmith-render.json`: which cluster it renders
 * and every file (with its sha256) and directory kubesmith wrote there. It is how a directory proves
 * it is a render: kubesmith replaces or removes only what a marker lists, and only while the content
 * still matches (#13 item 1: a plain `PLAN.md` once was enough proof, and `--out .` deleted the CA).
 * Building and parsing are pure; the marker is written first into a render's temp directory, so even
 * an interrupted render leaves a directory whose every file is accounted for.
 */
import { sha256Hex } from '../shared/sha256.js';

/** The marker's file name, at the root of a render directory. */
export const MARKER = '.kubesmith-render.json';

/** What a render directory holds, by kubesmith's own account. */
export interface RenderMarker {
  readonly cluster: string;
  /** Every directory under the root, relative, parents first. */
  readonly dirs: ReadonlySet<string>;
  /** rel path -> sha256 of every file kubesmith wrote (the marker itself excluded). */
  readonly files: ReadonlyMap<string, string>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * True for a relative path that stays inside its root: no empty, `.` or `..` segment, not absolute,
 * not the marker. A marker is read from the operator's disk, so its paths are never trusted blindly.
 */
export function safeRel(rel: string): boolean {
  if (rel === '' || rel.startsWith('/') || rel.includes('\\') || rel.includes('\0') || rel === MARKER) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** The marker for a tree about to be written: its files' hashes and every directory they need. */
export function buildMarker(cluster: string, files: readonly { readonly rel: string; readonly content: string }[]): RenderMarker {
  const dirs = new Set<string>();
  const hashes = new Map<string, string>();
  for (const f of files) {
    if (!safeRel(f.rel)) throw new Error(`render tree: unsafe relative path ${JSON.stringify(f.rel)}`);
    hashes.set(f.rel, sha256Hex(f.content));
    const parts = f.rel.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return { cluster, dirs: new Set([...dirs].sort()), files: hashes };
}

/** The marker as written: deterministic (sorted), so two renders of the same state are identical. */
export function serializeMarker(m: RenderMarker): string {
  const files = Object.fromEntries([...m.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const doc = {
    kubesmith: 'render',
    version: 1,
    note: 'written by `kubesmith render`: the files and directories it owns here. It replaces this directory only while it holds nothing else.',
    cluster: m.cluster,
    dirs: [...m.dirs].sort(),
    files,
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}

/** The marker in `text`, or a reason it is not one kubesmith wrote (never throws). */
export function parseMarker(text: string): RenderMarker | { readonly invalid: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { invalid: 'not valid JSON' };
  }
  if (typeof doc !== 'object' || doc === null) return { invalid: 'not a JSON object' };
  const d = doc as Record<string, unknown>;
  if (d['kubesmith'] !== 'render' || d['version'] !== 1) return { invalid: 'not a kubesmith render marker (version 1)' };
  if (typeof d['cluster'] !== 'string') return { invalid: 'no cluster name' };
  const rawDirs = d['dirs'];
  const rawFiles = d['files'];
  if (!Array.isArray(rawDirs) || typeof rawFiles !== 'object' || rawFiles === null || Array.isArray(rawFiles)) {
    return { invalid: 'no list of dirs and files' };
  }
  const dirs = new Set<string>();
  for (const x of rawDirs) {
    if (typeof x !== 'string' || !safeRel(x)) return { invalid: `bad directory entry ${JSON.stringify(x)}` };
    dirs.add(x);
  }
  const files = new Map<string, string>();
  for (const [rel, sha] of Object.entries(rawFiles as Record<string, unknown>)) {
    if (!safeRel(rel) || typeof sha !== 'string' || !SHA256.test(sha)) return { invalid: `bad file entry ${JSON.stringify(rel)}` };
    files.set(rel, sha);
  }
  return { cluster: d['cluster'], dirs, files };
}
