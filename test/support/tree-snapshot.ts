/**
 * Safety-suite helper: a snapshot of every file under a directory (sha256, mode, symlink target),
 * and the list of paths that changed between two snapshots. The safety tests take one before a
 * hostile command and assert that nothing outside the command's own output changed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export type TreeSnapshot = ReadonlyMap<string, string>;

/** rel path -> "sha256 mode" (files), "-> target" (symlinks), "dir mode" (directories). */
export function snapshotTree(root: string): TreeSnapshot {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(root, p);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(rel, `-> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${mode}`);
        walk(p);
      } else out.set(rel, `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${mode}`);
    }
  };
  walk(root);
  return out;
}

/**
 * Paths added, removed or changed between two snapshots, as "+rel", "-rel", "~rel", sorted.
 * `ignore` filters out paths the command may legitimately write (its own output, its log files).
 */
export function treeChanges(before: TreeSnapshot, after: TreeSnapshot, ignore: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const [rel, v] of before) {
    if (ignore(rel)) continue;
    if (!after.has(rel)) out.push(`-${rel}`);
    else if (after.get(rel) !== v) out.push(`~${rel}`);
  }
  for (const rel of after.keys()) if (!before.has(rel) && !ignore(rel)) out.push(`+${rel}`);
  return out.sort();
}
