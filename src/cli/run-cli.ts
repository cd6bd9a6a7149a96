/**
 * argv -> command -> exit code. Pure of process globals: main.ts passes in streams, env and the
 * abort signal, so tests can drive the whole CLI in-process.
 */
import type { Writable } from 'node:stream';
import type { CommandContext } from './command.js';
import { COMMANDS } from './commands/index.js';
import { toolHelp } from './help.js';
import { Interrupted, KubesmithError } from '../shared/errors.js';
import { abortReason, isQuiet, untilAborted } from './abort.js';
import { formatError } from './format-error.js';
import { parseOptions } from './parse-options.js';
import { resolveCommand } from './resolve-command.js';
import { NODE_RANGE, VERSION } from './version.js';
import { BUILD } from '../state/assets.js';

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted by a stop signal or a closed output, with an Interrupted reason (src/cli/abort.ts). */
  readonly signal: AbortSignal;
}

/**
 * Commands that stop by themselves on abort and must be waited for: apply ends its in-flight
 * remote steps and releases its locks. Every other command is left at once on abort (main.ts then
 * exits), so work it still has in flight, such as a key being generated, can never reach a save.
 */
const DRAINS_ON_ABORT = new Set(['apply']);

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const out = (s: string): void => void io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  let name = 'kubesmith';
  try {
    if (argv.length === 0) {
      out(toolHelp(COMMANDS, VERSION));
      return 2;
    }
    if (argv[0] === '--version' || argv[0] === 'version') {
      // --json: the supported component ranges too (loaded only then: it reads the version tables).
      if (argv.includes('--json')) {
        const { versionInfo } = await import('./version-info.js');
        out(JSON.stringify(versionInfo({ version: VERSION, node: NODE_RANGE, build: BUILD }), null, 2));
      } else out(VERSION);
      return 0;
    }
    const resolved = resolveCommand(argv, COMMANDS, VERSION);
    if ('help' in resolved) return out(resolved.help), 0;
    const { cmd, rest } = resolved;
    name = cmd.name;
    const parsed = parseOptions(cmd, rest, COMMANDS);
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
    io.signal.throwIfAborted();
    const running = cmd.run(ctx);
    const code = DRAINS_ON_ABORT.has(cmd.name) ? await running : await untilAborted(running, io.signal, true);
    const stop = abortReason(io.signal);
    // A stop that came after the work was done: say so, and still exit as interrupted, so a
    // script sees what the shell would have shown; only a closed output keeps the command's code.
    if (stop === undefined || isQuiet(stop)) return code;
    io.stderr.write(`${cmd.name}: ${stop.message} after the command had finished; its work is complete\n`);
    return stop.exitCode;
  } catch (err) {
    const stop = abortReason(io.signal);
    if (stop !== undefined && isQuiet(stop)) return stop.exitCode;
    if (stop === undefined) {
      io.stderr.write(formatError(err, debug));
      return err instanceof KubesmithError ? err.exitCode : 1;
    }
    // The command's own account of the stop (apply's "interrupted during etcd"), else the reason.
    const shown = err !== stop && err instanceof KubesmithError && err.code !== 'E_INTERNAL' ? err : new Interrupted(`${name}: ${stop.message}`, { exitCode: stop.exitCode, ...(stop.hint ? { hint: stop.hint } : {}), cause: err });
    io.stderr.write(formatError(shown, debug));
    return stop.exitCode;
  }
}
