/** Scalar Specs: strings (with format checks), integers with ranges, booleans and enums. */
import { isScalar } from 'yaml';
import { didYouMean } from './suggest.js';
import { keyName } from './validate-context.js';
import { typeError } from './validate-schema.js';
import type { Spec } from './validate-schema.js';

/** Returns a problem message for a value, or undefined when it is fine. */
export type Check<T> = (value: T, key: string) => string | undefined;

/** A non-empty string; `check` adds a format rule (its message is reported at the value). */
export function str(check?: Check<string>, expected = 'a string'): Spec<string> {
  return {
    expected,
    read(node, path, cx) {
      if (!isScalar(node) || typeof node.value !== 'string') return typeError(node, path, cx, expected);
      const key = keyName(path);
      const fix = path.endsWith(']') ? ' or remove the entry' : '';
      const problem = node.value.trim() === '' ? `${path} is empty; give it a value${fix}` : (controlCharacter(node.value, path) ?? check?.(node.value, key));
      if (problem !== undefined) {
        cx.sink.errorAt(node, path, problem);
        return undefined;
      }
      return node.value;
    },
  };
}

/** Line breaks (YAML 1.1 readers also break on NEL, LS, PS), NUL and other control characters. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

/**
 * No inventory value is multi-line or carries control characters: written into a unit, YAML or
 * TOML file, a line break would start a new key or directive. Names the character, which the
 * terminal would not show.
 */
function controlCharacter(value: string, path: string): string | undefined {
  const c = CONTROL.exec(value)?.[0];
  if (c === undefined) return undefined;
  const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const name = c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029' || c === '\u0085' ? `a line break (${code})` : c === '\u0000' ? 'a NUL byte (U+0000)' : `the control character ${code}`;
  return `${path} contains ${name}; inventory values are single-line text (${JSON.stringify(value)})`;
}

/** A whole number in [min, max]. */
export function int(min: number, max: number, expected: string): Spec<number> {
  return {
    expected,
    read(node, path, cx) {
      if (!isScalar(node) || typeof node.value !== 'number') {
        return typeError(node, path, cx, expected);
      }
      const v = node.value;
      if (!Number.isInteger(v) || v < min || v > max) {
        cx.sink.errorAt(node, path, `${path} must be ${expected}, got ${node.source ?? String(v)}`);
        return undefined;
      }
      return v;
    },
  };
}

/** A batch size: a whole number of hosts (1..1000) or a percentage "1%".."100%" of the group. */
export function batchSize(): Spec<number | `${number}%`> {
  const expected = 'a whole number of hosts from 1 to 1000 or a percentage like "20%"';
  return {
    expected,
    read(node, path, cx) {
      if (!isScalar(node) || (typeof node.value !== 'number' && typeof node.value !== 'string')) return typeError(node, path, cx, expected);
      const v = node.value;
      const pct = typeof v === 'string' ? /^(\d{1,3})%$/.exec(v.trim()) : null;
      if (typeof v === 'number' ? Number.isInteger(v) && v >= 1 && v <= 1000 : pct !== null && Number(pct[1]) >= 1 && Number(pct[1]) <= 100) {
        return typeof v === 'number' ? v : `${Number(pct?.[1])}%`;
      }
      cx.sink.errorAt(node, path, `${path} must be ${expected}, got ${node.source ?? String(v)}`);
      return undefined;
    },
  };
}

/** true or false (YAML 1.2: `yes`/`no` are strings, so they are rejected with a hint). */
export function bool(): Spec<boolean> {
  return {
    expected: 'true or false',
    read(node, path, cx) {
      if (isScalar(node) && typeof node.value === 'boolean') return node.value;
      return typeError(node, path, cx, 'true or false');
    },
  };
}

/** Options for oneOf(). */
export interface OneOfOptions {
  /** What one value is called in messages, e.g. "role"; default: the key name. */
  readonly label?: string;
  /** Other common names, e.g. { master: "control-plane" }. */
  readonly aliases?: Readonly<Record<string, string>>;
}

/** One of a fixed set of strings, with a did-you-mean for near misses. */
export function oneOf<V extends string>(values: readonly V[], opts: OneOfOptions = {}): Spec<V> {
  const expected = values.length === 1 ? `${values[0] ?? ''}` : `one of ${values.join(', ')}`;
  return {
    expected,
    read(node, path, cx) {
      if (!isScalar(node) || typeof node.value !== 'string') return typeError(node, path, cx, expected);
      const v = node.value;
      const hit = values.find((x) => x === v);
      if (hit !== undefined) return hit;
      const label = opts.label ?? keyName(path);
      const near = didYouMean(v, values, opts.aliases);
      const advice = near === undefined ? `; use ${expected}` : ` (did you mean ${near}?)`;
      cx.sink.errorAt(node, path, `unknown ${label} "${v}"${advice}`);
      return undefined;
    },
  };
}
