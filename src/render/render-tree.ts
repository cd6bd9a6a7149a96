/** The file tree `kubesmith render --out DIR` writes, and the comparison behind `--diff`. Pure. */
import type { ClusterPlan } from '../plan/types.js';
import { sha256Hex } from '../shared/sha256.js';
import type { OperatorFile } from './operator-files.js';

/** One file of the tree, relative to DIR. */
export interface TreeFile {
  readonly rel: string;
  readonly content: string;
  /** 0600 for anything secret; 0644 otherwise. */
  readonly mode: number;
}

/** DIR/<host>/<path> for every text artifact, DIR/_cluster/<id>.yaml, DIR/_operator/<name>, DIR/PLAN.md. */
export function renderTree(plan: ClusterPlan, operator: readonly OperatorFile[], planMd: string): readonly TreeFile[] {
  const files: TreeFile[] = [];
  for (const h of plan.hosts) {
    for (const a of h.artifacts) {
      if (typeof a.content !== 'string') continue;
      files.push({ rel: `${h.host.name}${a.path}`, content: a.content, mode: a.secret ? 0o600 : 0o644 });
    }
  }
  for (const m of plan.manifests) files.push({ rel: `_cluster/${m.id}.yaml`, content: m.yaml, mode: m.secret ? 0o600 : 0o644 });
  for (const f of operator) files.push({ rel: `_operator/${f.name}`, content: f.content, mode: 0o600 });
  files.push({ rel: 'PLAN.md', content: planMd, mode: 0o644 });
  return files;
}

/** rel -> sha256 of a tree. */
export function treeHashes(files: readonly TreeFile[]): ReadonlyMap<string, string> {
  return new Map(files.map((f) => [f.rel, sha256Hex(f.content)]));
}

/** What changed between two trees (by content hash). */
export interface TreeDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly unchanged: number;
}

/** Compares a previous tree with the next one. */
export function diffTrees(prev: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>): TreeDiff {
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const [rel, sha] of next) {
    const before = prev.get(rel);
    if (before === undefined) added.push(rel);
    else if (before !== sha) changed.push(rel);
    else unchanged += 1;
  }
  const removed = [...prev.keys()].filter((rel) => !next.has(rel));
  const sort = (xs: string[]): string[] => xs.sort();
  return { added: sort(added), removed: sort(removed), changed: sort(changed), unchanged };
}

/** The diff as lines: "+ added", "- removed", "~ changed", and a summary. */
export function formatDiff(d: TreeDiff, against: string): string {
  return [
    `compared with ${against}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`,
    ...d.added.map((r) => `+ ${r}`),
    ...d.removed.map((r) => `- ${r}`),
    ...d.changed.map((r) => `~ ${r}`),
  ].join('\n');
}
