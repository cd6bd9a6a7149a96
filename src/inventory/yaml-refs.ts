/**
 * Aliases and merge keys for the schema walk, in linear time and with a bound.
 *
 * - yaml's `Alias.resolve(doc)` walks the whole document on every call: 5,000 hosts each with
 *   `ssh: *defaults` took 157 s. `DocRefs` indexes every anchor once.
 * - `<<: *defaults` (YAML 1.1 merge keys, common in hand-written inventories) copies the keys of the
 *   aliased mapping(s) that the mapping does not set itself; the walk sees the merged mapping.
 * - `aliasValues` counts the values aliases add, before the walk: aliases let a few
 *   lines stand for billions of values ("billion laughs"); validate.ts refuses a document past
 *   INVENTORY_LIMITS.maxExpandedValues without walking it.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { Alias, Document, Node, Pair, YAMLMap } from 'yaml';

/** One merge problem, reported by the caller at `node`. */
export interface MergeProblem {
  readonly node: Node | null;
  readonly message: string;
}

/** Anchor index, merged mappings and the expanded size of one parsed document. */
export class DocRefs {
  private readonly targets = new Map<Alias, Node>();
  private readonly merged = new WeakMap<YAMLMap, { pairs: Pair[]; problems: MergeProblem[] }>();
  private readonly sizes = new WeakMap<Node, number>();
  /**
   * Values that aliases add: the document's size with every alias replaced by what it refers to,
   * minus its size as written (the walk visits at most twice the sum of the two).
   */
  readonly aliasValues: number;

  constructor(doc: Document.Parsed) {
    // An alias refers to the closest anchor of that name before it, in document order.
    const anchors = new Map<string, Node>();
    const anchored: Node[] = [];
    let written = 0;
    visit(doc, {
      Node: (_key, node) => {
        written += 1;
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (target !== undefined) this.targets.set(node, target);
        } else if (node.anchor !== undefined) {
          anchors.set(node.anchor, node);
          anchored.push(node);
        }
      },
    });
    // Sizing anchors in document order keeps the recursion shallow for long chains of aliases.
    for (const node of anchored) this.sizeOf(node);
    this.aliasValues = this.sizeOf(doc.contents) - written;
  }

  /** Values under a node, aliases expanded; memoised (and capped by Infinity, not by the stack). */
  private sizeOf(node: unknown): number {
    if (isAlias(node)) {
      const target = this.targets.get(node);
      return target === undefined ? 1 : this.sizeOf(target);
    }
    if (!isMap(node) && !isSeq(node)) return 1;
    const known = this.sizes.get(node);
    if (known !== undefined) return known;
    this.sizes.set(node, 1); // an alias inside its own anchor counts once
    let n = 1;
    for (const item of node.items as unknown[]) n += isPair(item) ? this.sizeOf(item.key) + this.sizeOf(item.value) : this.sizeOf(item);
    this.sizes.set(node, n);
    return n;
  }

  /** Follows an alias to its anchored node (undefined when the anchor is missing). */
  resolve(node: unknown): Node | undefined {
    if (isAlias(node)) return this.targets.get(node);
    return isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
  }

  /**
   * The pairs of a mapping with its `<<` merge keys applied: its own pairs, then each merged
   * mapping's keys it does not set (earlier merge sources win, as in YAML 1.1). Memoised, so
   * chains of merges cost one pass each.
   */
  effectivePairs(map: YAMLMap): { pairs: readonly Pair[]; problems: readonly MergeProblem[] } {
    // Problems are returned the first time only: an anchored mapping used 5 times is wrong once.
    const done = this.merged.get(map);
    if (done !== undefined) return { pairs: done.pairs, problems: [] };
    const result = { pairs: [] as Pair[], problems: [] as MergeProblem[] };
    this.merged.set(map, result); // a merge cycle sees the partial result and stops
    const own = map.items.filter((p) => !isMergeKey(p.key));
    const taken = new Set(own.map((p) => keyText(p.key)));
    result.pairs.push(...own);
    for (const pair of map.items.filter((p) => isMergeKey(p.key))) {
      for (const source of this.mergeSources(pair, result.problems)) {
        const inner = this.effectivePairs(source);
        result.problems.push(...inner.problems);
        for (const p of inner.pairs) {
          const k = keyText(p.key);
          if (k !== undefined && taken.has(k)) continue;
          taken.add(k);
          result.pairs.push(p);
        }
      }
    }
    return result;
  }

  /** The mappings a `<<` pair merges: one alias, or a list of aliases, each to a mapping. */
  private mergeSources(pair: Pair, problems: MergeProblem[]): YAMLMap[] {
    const value = pair.value as Node | null;
    const items = isSeq(value) ? value.items : [value];
    const out: YAMLMap[] = [];
    for (const item of items) {
      const target = isAlias(item) ? this.targets.get(item) : undefined;
      if (target !== undefined && isMap(target)) {
        out.push(target);
      } else {
        const what = isAlias(item) ? (target === undefined ? `*${item.source} has no anchor` : `*${item.source} is not a mapping`) : 'is not an alias';
        problems.push({
          node: (item ?? pair.key) as Node | null,
          message: `<<: merge value ${what}; write <<: *name (or a list of them) where &name anchors a mapping`,
        });
      }
    }
    return out;
  }
}

/** A plain (unquoted) `<<` key: YAML's merge key. A quoted "<<" is an ordinary key. */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.value === '<<' && key.type === 'PLAIN';
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}
