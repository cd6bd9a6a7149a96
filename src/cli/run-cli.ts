/**
 * argv -> command -> exit code. Pure of process globals: main.ts passes in streams, env and the
 * abort signal, so tests can drive the whole CLI in-process.
 */
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import type { Command, CommandContext } from './command.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, groupHelp, toolHelp } from './help.js';
import { Interrupted, KubesmithError, UsageError } from '../shared/errors.js';
import { formatError } from './format-error.js';
import { VERSION } from './version.js';

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signal: AbortSignal;
}

/** Finds the longest command name that prefixes argv ("pki generate" before "pki"). */
function findCommand(argv: readonly string[]): { cmd?: Command; rest: string[]; group?: string } {
  const words = argv.filter((a) => !a.startsWith('-'));
  for (const n of [2, 1]) {
    const name = words.slice(0, n).join(' ');
    const cmd = COMMANDS.find((c) => c.name === name);
    if (cmd && argv.slice(0, n).join(' ') === name) return { cmd, rest: argv.slice(n) };
  }
  const first = argv[0];
  if (first && COMMANDS.some((c) => c.name.startsWith(`${first} `))) return { group: first, rest: argv.slice(1) };
  return { rest: [...argv] };
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const out = (s: string): void => void io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      out(toolHelp(COMMANDS, VERSION));
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === '--version' || argv[0] === 'version') {
      out(VERSION);
      return 0;
    }
    const { cmd, rest, group } = findCommand(argv);
    if (group !== undefined) {
      const sub = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
      const help = groupHelp(group, sub);
      if (rest.includes('--help') || rest.includes('-h')) return out(help), 0;
      throw new UsageError(`${group}: missing or unknown subcommand${rest[0] ? ` "${rest[0]}"` : ''}`, { detail: help.split('\n') });
    }
    if (!cmd) {
      throw new UsageError(`unknown command "${argv[0] ?? ''}"`, { hint: 'run `kubesmith --help` for the list of commands' });
    }
    if (rest.includes('--help') || rest.includes('-h')) return out(commandHelp(cmd)), 0;
    const parsed = parseOrUsage(cmd, rest);
    const ctx: CommandContext = {
      values: parsed.values,
      positionals: parsed.positionals,
      stdout: io.stdout,
      stderr: io.stderr,
      env: io.env,
      cwd: io.cwd,
      signal: io.signal,
      color: io.env.NO_COLOR === undefined && io.stdout.isTTY === true,
      isTTY: io.stdout.isTTY === true,
      debug,
    };
    return await cmd.run(ctx);
  } catch (err) {
    const e = io.signal.aborted && !(err instanceof KubesmithError) ? new Interrupted('interrupted', { cause: err }) : err;
    io.stderr.write(formatError(e, debug));
    return e instanceof KubesmithError ? e.exitCode : 1;
  }
}

function parseOrUsage(cmd: Command, args: string[]): { values: CommandContext['values']; positionals: string[] } {
  const options = { ...Object.fromEntries(Object.entries(cmd.options).map(([k, o]) => [k, stripDesc(o)])), debug: { type: 'boolean' as const } };
  try {
    const r = parseArgs({ args, options, allowPositionals: cmd.allowPositionals ?? false, strict: true });
    return { values: r.values as CommandContext['values'], positionals: r.positionals };
  } catch (err) {
    throw new UsageError(`${cmd.name}: ${(err as Error).message}`, {
      hint: `run \`kubesmith ${cmd.name} --help\``,
    });
  }
}

function stripDesc(o: Command['options'][string]): { type: 'string' | 'boolean'; short?: string; multiple?: boolean } {
  return { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
}
