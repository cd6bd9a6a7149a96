/**
 * argv -> the command it names, or the help it asks for. What names nothing is a UsageError with a
 * did-you-mean, the way validate answers an unknown inventory key (src/inventory/suggest.ts).
 */
import { didYouMean } from '../inventory/suggest.js';
import { UsageError } from '../shared/errors.js';
import type { Command } from './command.js';
import { commandHelp, groupHelp, toolHelp } from './help.js';

/** A command to run with its remaining arguments, or help text to print (exit 0). */
export type Resolved = { readonly cmd: Command; readonly rest: string[] } | { readonly help: string };

/** Names operators reach for that no edit distance finds. */
const ALIASES: Readonly<Record<string, string>> = { deploy: 'apply', install: 'apply', certs: 'pki', diff: 'plan', template: 'render' };

const HELP_WORDS = new Set(['help', '-h', '--help']);

/** Groups ("pki") and the commands in each. */
function groupsOf(commands: readonly Command[]): Map<string, Command[]> {
  const groups = new Map<string, Command[]>();
  for (const c of commands) {
    const [group, sub] = c.name.split(' ');
    if (sub !== undefined && group !== undefined) groups.set(group, [...(groups.get(group) ?? []), c]);
  }
  return groups;
}

/**
 * " (did you mean X?)", naming the whole command for a subcommand's bare word ("check" -> "pki
 * check"). `inGroup`: the word came after a group name, so only subcommand words are candidates.
 */
function suggestion(word: string, commands: readonly Command[], inGroup = false): string {
  const byWord = new Map<string, string>();
  for (const c of commands) {
    const words = c.name.split(' ');
    if (!inGroup) byWord.set(words[0] ?? c.name, words[0] ?? c.name);
    if (words.length > 1) byWord.set(words.at(-1) ?? c.name, c.name);
  }
  const hit = didYouMean(word, [...byWord.keys()], inGroup ? {} : ALIASES);
  return hit === undefined ? '' : ` (did you mean ${byWord.get(hit) ?? hit}?)`;
}

/** The error for a word that names no command; flags before the command get their own hint. */
function unknownCommand(argv: readonly string[], commands: readonly Command[]): UsageError {
  const first = argv[0] ?? '';
  const later = argv.find((a) => commands.some((c) => c.name.split(' ')[0] === a));
  if (first.startsWith('-') && later !== undefined) {
    return new UsageError(`"${first}" before the command: options go after it`, { hint: `e.g. kubesmith ${later} ${argv.filter((a) => a !== later).join(' ')}` });
  }
  return new UsageError(`unknown command "${first}"${suggestion(first, commands)}`, { hint: 'run `kubesmith --help` for the list of commands' });
}

/** `help`, `-h`, `--help` followed by nothing (the tool), a group or a command, e.g. `help pki generate`. */
function helpFor(words: readonly string[], commands: readonly Command[], version: string): string {
  if (words.length === 0) return toolHelp(commands, version);
  const groups = groupsOf(commands);
  const two = commands.find((c) => c.name === words.slice(0, 2).join(' '));
  const cmd = two ?? commands.find((c) => c.name === words[0]);
  const used = two ? 2 : 1;
  const group = cmd ? undefined : groups.get(words[0] ?? '');
  if (group && words.length > 1) {
    throw new UsageError(`help: unknown subcommand "${words.join(' ')}"${suggestion(words[1] ?? '', group, true)}`, { detail: groupHelp(words[0] ?? '', group).split('\n') });
  }
  if (group) return groupHelp(words[0] ?? '', group);
  if (!cmd) throw unknownCommand(words, commands);
  if (words.length > used) throw new UsageError(`help: "${words.slice(used).join(' ')}" after "${cmd.name}" names nothing`, { hint: `run \`kubesmith help ${cmd.name}\`` });
  return commandHelp(cmd);
}

/** Resolves argv (non-empty) against the command list. */
export function resolveCommand(argv: readonly string[], commands: readonly Command[], version: string): Resolved {
  const [first = '', second] = argv;
  if (HELP_WORDS.has(first)) return { help: helpFor(argv.slice(1).filter((a) => !a.startsWith('-')), commands, version) };
  const group = groupsOf(commands).get(first);
  if (group) {
    if (second !== undefined && HELP_WORDS.has(second)) return { help: groupHelp(first, group) };
    const sub = group.find((c) => c.name === `${first} ${second ?? ''}`);
    if (sub) return withHelp(sub, argv.slice(2));
    const detail = groupHelp(first, group).split('\n');
    if (second === undefined || second.startsWith('-')) throw new UsageError(`${first}: missing subcommand`, { detail });
    throw new UsageError(`${first}: unknown subcommand "${second}"${suggestion(second, group, true)}`, { detail });
  }
  const cmd = commands.find((c) => c.name === first);
  if (!cmd) throw unknownCommand(argv, commands);
  return withHelp(cmd, argv.slice(1));
}

/** `CMD ... --help` or `-h` anywhere after the command shows its help instead of running it. */
function withHelp(cmd: Command, rest: string[]): Resolved {
  return rest.includes('--help') || rest.includes('-h') ? { help: commandHelp(cmd) } : { cmd, rest };
}
