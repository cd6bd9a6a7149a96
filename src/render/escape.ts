/**
 * One escaper per rendered format, registered as template helpers by engine.ts. The inventory is
 * validated field by field first (validate-formats.ts); these are the second line: whatever string
 * reaches a template, it lands as data inside its own token and cannot open a new line, key,
 * section or directive. Ordinary values (names, IPs, URLs, paths) come out unchanged, so the
 * rendered files read as hand-written ones; anything else is quoted and escaped, or, in formats
 * that have no escape for it (keepalived, Corefile, comments, NUL in argv), refused.
 */

/** What a template may interpolate: a scalar, or (YAML only) a list of strings. */
export type Interpolated = string | number | boolean | readonly string[];

/** Thrown for a value the format cannot carry; engine.ts names the template and position. */
export class UnsafeValue extends Error {}

/** Line breaks in any reader we feed: YAML 1.1 (go-yaml) also breaks on NEL, LS and PS. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function text(v: unknown, format: string): string {
  if (typeof v === 'string') {
    if (LONE_SURROGATE.test(v)) throw new UnsafeValue(`${format}: ${JSON.stringify(v)} is not valid Unicode (lone surrogate)`);
    return v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  throw new UnsafeValue(`${format}: expected a string, number or boolean, got ${Array.isArray(v) ? 'a list' : typeof v}`);
}

const SHORT: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

/**
 * A double-quoted string valid in TOML (basic string), JSON and YAML alike: the common subset of
 * their escapes (\" \\ \b \t \n \f \r \uXXXX), every control and line-break character escaped.
 */
export function doubleQuoted(s: string): string {
  return `"${s.replace(/["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** TOML value: booleans and integers as literals, every string as a basic string. */
export function toml(v: unknown): string {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return doubleQuoted(text(v, 'TOML'));
}

/** JSON value; also a valid YAML double-quoted scalar, so it serves YAML flow context too. */
export function json(v: unknown): string {
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  return doubleQuoted(text(v, 'JSON'));
}

/** Plain YAML scalars we leave unquoted: no indicator, space, comment or flow character. */
const YAML_PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@+=,~-]*$/;
/** YAML 1.1 (go-yaml, sigs.k8s.io/yaml) reads these as booleans or null, not strings. */
const YAML_WORDS = /^(y|n|yes|no|true|false|on|off|null)$/i;
/** Plain inside a flow sequence: no ",", ":" or brackets either. */
const YAML_FLOW_PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@+=~-]*$/;
const IPV4_OR_CIDR = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,3})?$/;

/**
 * YAML scalar in block context (after "key: " or "- "): plain when it reads back as the same
 * string in YAML 1.1 and 1.2, double-quoted otherwise. A list becomes a flow sequence.
 */
export function yaml(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' && YAML_FLOW_PLAIN.test(x) && !YAML_WORDS.test(x) ? x : json(x))).join(', ')}]`;
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  const s = text(v, 'YAML');
  const plain = (YAML_PLAIN.test(s) && !YAML_WORDS.test(s) && !s.endsWith(':')) || IPV4_OR_CIDR.test(s);
  return plain ? s : doubleQuoted(s);
}

/** Characters that need no quoting in a systemd command line (after %% and $$ doubling). */
const UNIT_PLAIN = /^[A-Za-z0-9_@%+=:,.*/-]+$/;

/**
 * One word of a systemd Exec*= command line. systemd expands %-specifiers and $VARIABLES in every
 * word, quoted or not, so "%" and "$" are always doubled; a word with anything else beyond the
 * plain set is double-quoted with C escapes (systemd.syntax(7): quoting, "\n", "\xNN").
 * NUL cannot be passed in argv at all and is refused.
 */
export function unitArg(v: unknown): string {
  const s = text(v, 'systemd');
  if (s.includes('\u0000')) throw new UnsafeValue(`systemd: ${JSON.stringify(s)} contains a NUL byte, which no command-line argument can carry`);
  const doubled = s.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (UNIT_PLAIN.test(doubled)) return doubled;
  const esc = doubled.replace(/["\\\u0001-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, (c) =>
    SHORT[c] ?? (c.charCodeAt(0) < 0x80 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
  return `"${esc}"`;
}

/**
 * The executable of an Exec*= line. systemd refuses executable paths with special characters
 * ("Executable name contains special characters") and un-normalized ones, so only an absolute,
 * normalized path of portable file-name characters passes (paths.* in the inventory are held to the
 * same rule); anything else is refused here, before a unit that cannot load is written.
 */
export function unitExec(v: unknown): string {
  const s = text(v, 'systemd executable');
  if (/^(\/[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*)+$/.test(s) && !s.split('/').some((x) => x === '.' || x === '..')) return s;
  throw new UnsafeValue(`systemd executable: ${JSON.stringify(s)} is not an absolute, normalized path of letters, digits and "._+@-"`);
}

const NGINX_PLAIN = /^[A-Za-z0-9_.:/@+=,[\]-]+$/;
const NGINX_ESC: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One nginx directive argument: plain, or double-quoted with nginx's own escapes (\" \\ \t \n \r).
 * nginx has no escape for "$" (variables expand inside quotes too) and cannot carry NUL: refused.
 */
export function nginx(v: unknown): string {
  const s = text(v, 'nginx');
  if (/[\u0000$]/.test(s)) throw new UnsafeValue(`nginx: ${JSON.stringify(s)} contains "$" or a NUL byte, which nginx.conf cannot carry as data`);
  if (NGINX_PLAIN.test(s)) return s;
  return `"${s.replace(/["\\\t\n\r]/g, (c) => NGINX_ESC[c] ?? c)}"`;
}

const KEEPALIVED_PLAIN = /^[A-Za-z0-9_.:/@+=,-]+$/;
const KEEPALIVED_QUOTABLE = /^[A-Za-z0-9_.:/@+=, -]+$/;

/**
 * One keepalived.conf word. keepalived's reader has no escape character (a quote ends the string;
 * "#" and "!" start comments), so a value is plain, or double-quoted when it only adds spaces
 * (a script command line), and refused otherwise.
 */
export function keepalived(v: unknown): string {
  const s = text(v, 'keepalived');
  if (KEEPALIVED_PLAIN.test(s)) return s;
  if (KEEPALIVED_QUOTABLE.test(s)) return `"${s}"`;
  throw new UnsafeValue(`keepalived: ${JSON.stringify(s)} cannot be written safely (keepalived.conf has no escapes; allowed: letters, digits, spaces and _.:/@+=,-)`);
}

/** One Corefile (CoreDNS) argument; Corefile quoting has no escape for a trailing backslash, so only plain words pass. */
export function corefile(v: unknown): string {
  const s = text(v, 'Corefile');
  if (/^[A-Za-z0-9_.:/-]+$/.test(s)) return s;
  throw new UnsafeValue(`Corefile: ${JSON.stringify(s)} cannot be written safely (allowed: letters, digits and _.:/-)`);
}

/** Text inside a comment (YAML, TOML, INI, nginx): anything but a line break or control character. */
export function comment(v: unknown): string {
  const s = text(v, 'comment');
  if (CONTROL.test(s)) throw new UnsafeValue(`comment: ${JSON.stringify(s)} contains a line break or control character`);
  return s;
}

/** The helpers by name, as templates call them: {{yaml clusterDomain}}, {{unitArg this}}. */
export const ESCAPERS: Readonly<Record<string, (v: unknown) => string>> = { toml, json, yaml, unitArg, unitExec, nginx, keepalived, corefile, comment };
