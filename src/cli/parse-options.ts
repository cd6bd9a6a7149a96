/**
 * A command's arguments -> values, strictly. Besides node:util parseArgs' checks: an unknown flag
 * gets a did-you-mean (or names the command it belongs to); an empty value (`--limit ""`,
 * `-i ""`, `--out=`) is refused, since reading it as "not given" silently widens what a command
 * touches (`apply --limit ""` ran on every host); a value option given twice is refused rather
 * than the last one winning unseen.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '../inventory/suggest.js';
import { UsageError } from '../shared/errors.js';
import type { Command, CommandContext, OptionSpec } from './command.js';

/** Options every command takes besides its own. */
const GLOBAL: Readonly<Record<string, OptionSpec>> = { debug: { type: 'boolean', description: 'show stacks and causes on errors' } };

type Parsed = { values: CommandContext['values']; positionals: string[] };

/** Parses `args` for `cmd`; every problem is a UsageError naming the flag and what to do. */
export function parseOptions(cmd: Command, args: readonly string[], all: readonly Command[]): Parsed {
  const specs = { ...cmd.options, ...GLOBAL };
  const options = Object.fromEntries(
    Object.entries(specs).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  const help = { hint: `run \`kubesmith ${cmd.name} --help\`` };
  let r;
  try {
    r = parseArgs({ args: [...args], options, allowPositionals: cmd.allowPositionals ?? false, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError(`${cmd.name}: ${explain(err as NodeJS.ErrnoException, cmd, all)}`, { ...help, cause: err });
  }
  const seen = new Map<string, string>();
  for (const t of r.tokens) {
    if (t.kind !== 'option' || specs[t.name]?.type !== 'string') continue;
    const flag = `--${t.name}`;
    if (t.value === undefined || t.value.trim() === '') {
      throw new UsageError(`${cmd.name}: ${flag} is empty`, { hint: `give ${flag} a value (${specs[t.name]?.description ?? ''}), or leave the flag out` });
    }
    if (seen.has(t.name) && specs[t.name]?.multiple !== true) {
      throw new UsageError(`${cmd.name}: ${flag} given twice ("${seen.get(t.name) ?? ''}" and "${t.value}")`, { hint: `${flag} takes one value; pass it once` });
    }
    seen.set(t.name, t.value);
  }
  const empty = r.positionals.findIndex((p) => p.trim() === '');
  if (empty >= 0) throw new UsageError(`${cmd.name}: argument ${empty + 1} is empty`, help);
  return { values: r.values as CommandContext['values'], positionals: r.positionals };
}

/** parseArgs' message, with a did-you-mean for an unknown flag or a flag-like positional. */
function explain(err: NodeJS.ErrnoException, cmd: Command, all: readonly Command[]): string {
  const names = [...Object.keys(cmd.options), ...Object.keys(GLOBAL), 'help'];
  const unknown = /^Unknown option '(-{1,2})([^'=]*)/.exec(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const [, dashes = '--', name = ''] = unknown;
    const flag = `${dashes}${name}`;
    const owners = all.filter((c) => c !== cmd && name in c.options).map((c) => c.name);
    const hit = didYouMean(name, names);
    if (hit !== undefined) return `Unknown option '${flag}' (did you mean --${hit}?)`;
    if (owners.length > 0) return `Unknown option '${flag}': ${flag} is an option of ${owners.join(', ')}, not ${cmd.name}`;
    return `Unknown option '${flag}'`;
  }
  const positional = /^Unexpected argument '([^']*)'/.exec(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && positional) {
    const word = positional[1] ?? '';
    const hit = didYouMean(word.replace(/^-+/, ''), names);
    return `unexpected argument "${word}": ${cmd.name} takes no arguments besides its options${hit === undefined ? '' : ` (did you mean --${hit}?)`}`;
  }
  return err.message;
}
