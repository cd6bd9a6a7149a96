/**
 * A tiny typed schema for YAML nodes: each Spec reads a node, reports wrong types, unknown keys,
 * missing keys and bad values to the IssueSink, and returns the value (or undefined when invalid).
 * The TypeScript type of what a Spec reads is inferred, so the shape is written once.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import { didYouMean } from './suggest.js';
import { childPath, keyName } from './validate-context.js';
import type { IssueSink } from './validate-context.js';
import type { DocRefs } from './yaml-refs.js';

/** What a Spec needs while reading. */
export interface ReadContext {
  readonly sink: IssueSink;
  /** Where a key lives in the full schema when it is not a key of the current mapping. */
  readonly homeOf: (key: string) => string | undefined;
  /** Anchor index, merge keys and the visit budget (yaml-refs.ts); without it aliases resolve slowly and `<<` is an ordinary key. */
  readonly refs?: DocRefs;
}

/** Reads one YAML node into a T, reporting problems; undefined when the value is unusable. */
export interface Spec<T> {
  /** "a string", "an integer from 1 to 65535": used in type errors. */
  readonly expected: string;
  readonly required?: boolean;
  /** What to add when the key is missing, e.g. "add name: demo". */
  readonly missingHint?: string;
  readonly fields?: Readonly<Record<string, Spec<unknown>>>;
  /** Set on lists: `fields` are those of each entry. */
  readonly isList?: boolean;
  readonly read: (node: Node, path: string, cx: ReadContext) => T | undefined;
}

/** The value type a Spec produces. */
export type SpecType<S> = S extends Spec<infer T> ? T : never;
type ObjOf<F extends Record<string, Spec<unknown>>> = { readonly [K in keyof F]?: SpecType<F[K]> };

/** Follows an alias (`*name`) to its anchored node. */
export function deref(node: unknown, cx: ReadContext): Node | undefined {
  if (cx.refs !== undefined) return cx.refs.resolve(node);
  if (isAlias(node)) return node.resolve(cx.sink.doc);
  return isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
}

/** "a mapping", "a list", "a number (22)": what the user actually wrote. */
function describe(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (!isScalar(node)) return 'an alias';
  const v = node.value;
  if (typeof v === 'string') return `a string ("${v}")`;
  if (typeof v === 'number') return `a number (${node.source ?? String(v)})`;
  if (typeof v === 'boolean') return `a boolean (${String(v)})`;
  return 'nothing';
}

/** The standard wrong-type message, with a quoting hint for numbers and booleans given to strings. */
export function typeError(node: Node, path: string, cx: ReadContext, expected: string, advice = ''): undefined {
  let hint = advice;
  if (hint === '' && isScalar(node) && typeof node.value === 'string' && /^(true|false|-?\d+)$/.test(node.value) && !expected.startsWith('a string')) {
    hint = '; remove the quotes';
  }
  if (hint === '' && expected.startsWith('a string') && isScalar(node) && typeof node.value !== 'string' && node.value !== null) {
    hint = `; quote it: "${node.source ?? String(node.value)}"`;
  }
  const what = path === '' ? 'the inventory' : path;
  cx.sink.errorAt(node, path, `${what} must be ${expected}, got ${describe(node)}${hint}`);
  return undefined;
}

/** Marks a spec required; `hint` says what to add when it is missing. */
export function required<T>(spec: Spec<T>, hint: string): Spec<T> {
  return { ...spec, required: true, missingHint: hint };
}

/** A mapping with known keys; unknown keys get a did-you-mean or the section they belong in. */
export function obj<F extends Record<string, Spec<unknown>>>(fields: F): Spec<ObjOf<F>> {
  return {
    expected: 'a mapping (key: value lines)',
    fields,
    read(node, path, cx) {
      if (!isMap(node)) return typeError(node, path, cx, this.expected);
      const out: Record<string, unknown> = {};
      const names = Object.keys(fields);
      const seen = new Set<string>();
      const merged = cx.refs?.effectivePairs(node);
      for (const m of merged?.problems ?? []) cx.sink.errorAt(m.node, path, m.message);
      for (const pair of merged?.pairs ?? node.items) {
        const keyNode = deref(pair.key, cx);
        const valueNode = deref(pair.value, cx);
        if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
          cx.sink.errorAt(keyNode, path, 'keys must be plain words (a mapping or list cannot be a key)');
          continue;
        }
        const key = String(keyNode.value);
        const at = childPath(path, key);
        const spec = fields[key];
        if (spec === undefined) {
          cx.sink.errorAt(keyNode, at, unknownKeyMessage(key, path, names, cx));
          continue;
        }
        seen.add(key);
        const empty = valueNode === undefined || (isScalar(valueNode) && valueNode.value === null);
        // An empty optional value means "use the default": such a key is not recorded as written.
        if (!empty || isAlias(pair.value)) cx.sink.note(at, keyNode, valueNode ?? null);
        if (pair.value !== null && isAlias(pair.value) && valueNode === undefined) {
          cx.sink.errorAt(keyNode, at, `${key}: the alias *${pair.value.source} has no anchor; define &${pair.value.source} before using it`);
        } else if (empty) {
          if (spec.required) cx.sink.errorAt(keyNode, at, `${key} has no value; ${spec.missingHint ?? 'set it'}`);
        } else {
          const v = spec.read(valueNode, at, cx);
          if (v !== undefined) out[key] = v;
        }
      }
      const where = path === '' ? 'at the top level' : `in ${path}`;
      for (const [key, spec] of Object.entries(fields)) {
        if (spec.required && !seen.has(key)) {
          cx.sink.errorAt(path === '' ? node : undefined, path, `missing required key "${key}" ${where} (${spec.missingHint ?? 'add it'})`);
        }
      }
      return out as ObjOf<F>;
    },
  };
}

function unknownKeyMessage(key: string, path: string, names: readonly string[], cx: ReadContext): string {
  const where = path === '' ? 'at the top level' : `in ${path}`;
  const near = didYouMean(key, names);
  if (near !== undefined) return `unknown key "${key}" ${where} (did you mean ${near}?)`;
  const home = cx.homeOf(key);
  if (home !== undefined) return `unknown key "${key}" ${where} (it belongs in ${home})`;
  return `unknown key "${key}" ${where}; known keys: ${names.join(', ')}`;
}

/** Options for list(). */
export interface ListOptions {
  /** Message when the list is empty; empty lists are fine without it. */
  readonly emptyMessage?: string;
}

/** A list; items keep their index (an invalid item reads as undefined) so paths stay stable. */
export function list<T>(item: Spec<T>, opts: ListOptions = {}): Spec<readonly (T | undefined)[]> {
  return {
    expected: 'a list',
    // A list of mappings exposes its items' keys, so misplaced keys can be pointed at it.
    ...(item.fields ? { fields: item.fields, isList: true } : {}),
    read(node, path, cx) {
      if (!isSeq(node)) {
        const single = isScalar(node) && typeof node.value === 'string' ? `; write ${keyName(path)}: [${node.value}]` : '';
        return typeError(node, path, cx, 'a list', single);
      }
      if (node.items.length === 0 && opts.emptyMessage !== undefined) cx.sink.errorAt(node, path, opts.emptyMessage);
      return node.items.map((raw, i) => {
        const at = childPath(path, i);
        const n = deref(raw, cx);
        cx.sink.note(at, null, n ?? null);
        if (n === undefined || (isScalar(n) && n.value === null)) {
          cx.sink.errorAt(n, at, `${at} is empty; remove the lone "-"`);
          return undefined;
        }
        return item.read(n, at, cx);
      });
    },
  };
}
