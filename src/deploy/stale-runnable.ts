/**
 * gather-facts judges every unit binary of a host once per run (_facts.ts "@runnable"): whether a
 * process runs that very file, else whether `--version` exits 0. A phase that writes one of those
 * files (the binaries phase on an upgrade or a first install) makes the answer stale: the entry is
 * dropped, and the next service phase's gather (gatherRunnable) judges the new file.
 */
import type { HostFacts } from './phase.js';

/** `facts` without the runnable answers for `written` paths (the same object when none is affected). */
export function withoutStaleRunnable(facts: HostFacts, written: Iterable<string>): HostFacts {
  const runnable = facts.runnable;
  if (runnable === undefined) return facts;
  const stale = [...written].filter((p) => runnable.has(p));
  if (stale.length === 0) return facts;
  const kept = new Map(runnable);
  for (const p of stale) kept.delete(p);
  return { ...facts, runnable: kept };
}

/** The paths added to `changed` after it held `before` entries (a Set keeps insertion order). */
export function addedSince(changed: ReadonlySet<string>, before: number): readonly string[] {
  return changed.size === before ? [] : [...changed].slice(before);
}
