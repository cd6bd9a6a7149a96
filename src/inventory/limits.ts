/**
 * Input limits, checked before the YAML parser runs: a 50 MB inventory once ran the heap out after
 * 86 s, and a few thousand nested brackets overflow the parser's stack. The limits sit far above
 * any real inventory (5,000 hosts in block style with per-host ssh settings is about 1.5 MB) and
 * far below what makes validation slow. Pure: the caller reads the file.
 */
import type { InventoryIssue } from '../shared/errors.js';

/** The limits, in one place so messages, tests and docs agree. */
export const INVENTORY_LIMITS = {
  /** Bytes of inventory text (4 MiB). */
  maxBytes: 4 * 1024 * 1024,
  /** Entries in `hosts`. */
  maxHosts: 5000,
  /** Nesting of mappings and lists (block indentation levels plus flow brackets). */
  maxDepth: 64,
  /**
   * YAML values (keys, values, list items) that *aliases add, each standing for everything its
   * &anchor holds: bounds "billion laughs" documents whose few lines expand to billions of values.
   * 5,000 hosts each with `ssh: *defaults` (ten keys) add about 100,000.
   */
  maxExpandedValues: 500_000,
} as const;

const MIB = 1024 * 1024;

/** "52.4 MB" style size for messages (MiB with one decimal). */
export function formatSize(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

function issueAt(file: string, line: number, col: number, message: string): InventoryIssue {
  return { file, line, col, path: '', severity: 'error', message };
}

/** The issue for a file over the size limit; `bytes` is its size (`atLeast`: it was not read to the end). */
export function oversizeIssue(file: string, bytes: number, atLeast = false): InventoryIssue {
  return issueAt(
    file,
    1,
    1,
    `the inventory is ${atLeast ? 'more than ' : ''}${formatSize(atLeast ? INVENTORY_LIMITS.maxBytes : bytes)}, over the ${formatSize(INVENTORY_LIMITS.maxBytes)} limit ` +
      `(${INVENTORY_LIMITS.maxHosts.toLocaleString('en-US')} hosts fit in about 1.5 MiB); check that -i names the inventory, ` +
      'or remove what is not part of it (generated host lists, pasted logs)',
  );
}

/** The issue for a hosts list over the host limit, at the `hosts` key. */
export function tooManyHostsIssue(file: string, count: number, line: number, col: number): InventoryIssue {
  return issueAt(
    file,
    line,
    col,
    `hosts lists ${count.toLocaleString('en-US')} hosts; kubesmith manages at most ${INVENTORY_LIMITS.maxHosts.toLocaleString('en-US')} ` +
      'per inventory (split the fleet into several clusters, each with its own inventory)',
  );
}

/** The issue for aliases that expand past maxExpandedValues. */
export function expansionIssue(file: string, line: number, col: number): InventoryIssue {
  return issueAt(
    file,
    line,
    col,
    `the inventory's aliases (*name) expand to more than ${INVENTORY_LIMITS.maxExpandedValues.toLocaleString('en-US')} values ` +
      '(each alias repeats everything its &anchor holds, and aliases inside anchors multiply); write the values out or use fewer nested aliases',
  );
}

/**
 * Size and nesting checks on the raw text; undefined when both are within limits. Counts UTF-16
 * units for the size (at most the UTF-8 byte count, so a file under the byte limit passes).
 */
export function checkTextLimits(text: string, file: string): InventoryIssue | undefined {
  if (text.length > INVENTORY_LIMITS.maxBytes) return oversizeIssue(file, text.length);
  const hosts = countBlockHosts(text);
  if (hosts !== undefined && hosts.count > INVENTORY_LIMITS.maxHosts) return tooManyHostsIssue(file, hosts.count, hosts.line, 1);
  const deep = findDeepNesting(text, INVENTORY_LIMITS.maxDepth);
  if (deep === undefined) return undefined;
  return issueAt(
    file,
    deep.line,
    deep.col,
    `nesting deeper than ${INVENTORY_LIMITS.maxDepth} levels (mappings, lists and brackets inside each other); ` +
      'an inventory needs about 5; look for an unclosed [ or { or runaway indentation here',
  );
}

const SPACE = 0x20;
const NL = 0x0a;

/**
 * First place where block indentation levels plus open flow brackets exceed `max`, or undefined.
 * A linear scan, not a parser: quoted scalars and comments are skipped so brackets in them do not
 * count; it only has to be exact for real inventories and never slow for hostile ones.
 */
export function findDeepNesting(text: string, max: number): { line: number; col: number } | undefined {
  const indents: number[] = [];
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  let quote = 0; // the open quote character, 0 when outside quotes
  let dashes = 0; // compact "- - -" sequence entries on the current line
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === NL) {
      line += 1;
      lineStart = i + 1;
      atLineStart = quote === 0;
      dashes = 0;
      continue;
    }
    if (quote !== 0) {
      if (c === 0x5c && quote === 0x22) i += 1; // backslash escape in "..."
      else if (c === quote) quote = 0;
      continue;
    }
    if (atLineStart) {
      if (c === SPACE) continue;
      atLineStart = false;
      if (flow === 0 && c !== 0x23) {
        // A content line outside brackets: its indentation decides its block level.
        const indent = i - lineStart;
        while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (c === 0x23 && (i === lineStart || text.charCodeAt(i - 1) <= SPACE)) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
    } else if ((c === 0x22 || c === 0x27) && startsScalar(text, i, flow > 0)) {
      quote = c;
    } else if (c === 0x5b || c === 0x7b) {
      if (flow > 0 || startsScalar(text, i, false)) flow += 1;
    } else if ((c === 0x5d || c === 0x7d) && flow > 0) {
      flow -= 1;
    } else if (c === 0x2d && flow === 0 && text.charCodeAt(i + 1) <= SPACE && startsScalar(text, i, false)) {
      dashes += 1;
    }
    if (indents.length + flow + dashes > max) return { line, col: i - lineStart + 1 };
  }
  return undefined;
}

/**
 * True when position i may start a value: after indentation, "- ", ": " or "? ", and inside
 * brackets also after "[", "{" or ",". Elsewhere a quote or bracket is part of a plain scalar.
 */
function startsScalar(text: string, i: number, inFlow: boolean): boolean {
  let j = i - 1;
  while (j >= 0 && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === 0x09)) j -= 1;
  if (j < 0) return true;
  const p = text.charCodeAt(j);
  if (p === NL) return true;
  // "- ", ": ", "? " need the space: "b-[" and "a:[" are plain scalars.
  if (p === 0x2d || p === 0x3a || p === 0x3f) return j < i - 1;
  return inFlow && (p === 0x5b || p === 0x7b || p === 0x2c);
}

/**
 * Entries of a block-style top-level `hosts:` list, counted on the text so that a huge list is
 * refused before the parser spends seconds on it. Exact for well-formed YAML: entries are the
 * lines that start with "- " at the first entry's indentation (continuation lines of scalars and
 * nested content are always indented deeper). Undefined for other forms (flow list, alias); the
 * parsed document is counted then.
 */
export function countBlockHosts(text: string): { count: number; line: number } | undefined {
  const m = /^hosts[ \t]*:[ \t]*(#.*)?\r?$/m.exec(text);
  if (m === null) return undefined;
  const line = text.slice(0, m.index).split('\n').length;
  let indent = -1;
  let count = 0;
  for (let at = text.indexOf('\n', m.index) + 1; at > 0 && at < text.length; ) {
    const end = text.indexOf('\n', at);
    const stop = end < 0 ? text.length : end;
    let i = at;
    while (i < stop && text.charCodeAt(i) === SPACE) i += 1;
    const c = text.charCodeAt(i);
    const blank = i >= stop || c === 0x23 || c === 0x0d;
    if (!blank) {
      const isEntry = c === 0x2d && (i + 1 >= stop || text.charCodeAt(i + 1) <= SPACE);
      if (indent < 0) indent = isEntry ? i - at : -2;
      if (indent === -2 || i - at < indent || (i - at === indent && !isEntry)) break;
      if (i - at === indent) count += 1;
    }
    at = stop + 1;
  }
  return indent < 0 ? undefined : { count, line };
}
