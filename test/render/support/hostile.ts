/**
 * Hostile values for the injection tests, and small readers for the formats that have no reader in
 * node_modules: a systemd Exec*= line decoder (systemd.syntax(7), systemd.service(5) "Command
 * lines") and containerd's `config dump` output. Each is checked against the real program:
 * systemd-analyze finds the stub executable only where this decoder says the path is.
 */

/** Quotes, line breaks, section headers, specifiers, comments, separators, YAML indicators, NUL. */
export const HOSTILE: readonly string[] = [
  'pause:3.9"\n[plugins.evil]\n  x = 1',
  'a"b',
  "a'b",
  'back\\slash',
  'trailing\\',
  'two\nlines',
  'cr\r\nExecStartPost=/bin/evil',
  '[section]',
  '%n %% %',
  '$HOME ${PATH} $$',
  '# hash',
  'semi;colon',
  ';',
  '{ brace } }',
  'ls\u2028ps\u2029nel\u0085',
  'nul\u0000byte',
  'tab\there',
  'key: value',
  '- item',
  '*alias',
  '&anchor',
  '!tag',
  'true',
  'null',
  '~',
  'yes',
  '0x10',
  '12:30',
  '',
  ' lead',
  'trail ',
  'end:',
  '@at',
  '<<',
  'ünï©ødé 🚀',
];

/**
 * One value per kind of break-out, for the checks that start a real program per value (containerd,
 * systemd-analyze, nginx, keepalived); the in-process YAML checks use all of HOSTILE.
 */
export const HOSTILE_KINDS: readonly string[] = HOSTILE.filter((h) =>
  ['pause:3.9"\n[plugins.evil]\n  x = 1', "a'b", 'trailing\\', 'cr\r\nExecStartPost=/bin/evil', '%n %% %', '$HOME ${PATH} $$', '# hash', 'semi;colon', ';', '{ brace } }', 'ls\u2028ps\u2029nel\u0085', 'nul\u0000byte', 'tab\there', '', ' lead', 'ünï©ødé 🚀'].includes(h),
);

/** A YAML double-quoted scalar for any string (JSON escapes, plus the line breaks JSON leaves raw). */
export function yamlQuoted(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Lines of a unit file with continuation lines joined, as systemd reads them. */
function logicalLines(unit: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of unit.split('\n')) {
    let escaped = false;
    for (const c of line) escaped = escaped ? false : c === '\\';
    if (escaped) cur += `${line.slice(0, -1)} `;
    else {
      out.push(cur + line);
      cur = '';
    }
  }
  return out;
}

const C_ESCAPES: Readonly<Record<string, string>> = { a: '\u0007', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

/** One word's %-specifiers and $-variables: only the doubled forms are data; anything else is a failure. */
function literal(word: string): string {
  const s = word.replace(/%(.)?/g, (m, c: string | undefined) => {
    if (c === '%') return '%';
    throw new Error(`unescaped specifier ${m} in ${JSON.stringify(word)}`);
  });
  return s.replace(/\$(.)?/g, (m, c: string | undefined) => {
    if (c === '$') return '$';
    throw new Error(`unescaped variable ${m} in ${JSON.stringify(word)}`);
  });
}

/** Splits a command line into words: quotes and C escapes as systemd's extract_first_word(UNQUOTE|CUNESCAPE). */
function words(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let w = '';
    let quote: string | undefined;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === '\\') {
        const e = line[++i]!;
        if (e === 'x') (w += String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16))), (i += 2);
        else if (e === 'u') (w += String.fromCharCode(parseInt(line.slice(i + 1, i + 5), 16))), (i += 4);
        else if (C_ESCAPES[e] !== undefined) w += C_ESCAPES[e];
        else throw new Error(`unknown escape \\${e} in ${JSON.stringify(line)}`);
      } else if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else w += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ' ' || c === '\t') break;
      else w += c;
    }
    if (quote !== undefined) throw new Error(`unterminated quote in ${JSON.stringify(line)}`);
    out.push(literal(w));
  }
  return out;
}

/** Every Exec*= command of a unit as [key, argv], with systemd's "-@:+!" prefixes removed. */
export function execCommands(unit: string): [string, string[]][] {
  return logicalLines(unit)
    .map((l) => /^(Exec\w+)=[-@:+!]*(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, words(m[2]!)]);
}

/** `key = value` lines of `containerd config dump`, per section, with TOML basic strings decoded. */
export function tomlDump(text: string): string[] {
  let section = '';
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l.startsWith('[')) section = l;
    const m = /^([\w.-]+|"[^"]*") = ([\s\S]*)$/.exec(l);
    if (!m) continue;
    const v = m[2]!.startsWith('"') ? (JSON.parse(m[2]!.replace(/\\U([0-9a-fA-F]{8})/g, (_x, h: string) => String.fromCodePoint(parseInt(h, 16)).replace(/[\s\S]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))) as string) : m[2]!;
    out.push(`${section} ${m[1]} = ${JSON.stringify(v)}`);
  }
  return out;
}
