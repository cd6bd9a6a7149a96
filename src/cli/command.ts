/** The shape of a CLI command. Each command lives in src/cli/commands/<name>.ts. */
import type { Writable } from 'node:stream';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly description: string;
  /** Shown in --help; the command applies it. */
  readonly defaultText?: string;
}

export interface CommandContext {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted on the first Ctrl-C. */
  readonly signal: AbortSignal;
  /** False when NO_COLOR is set or stdout is not a TTY. */
  readonly color: boolean;
  readonly isTTY: boolean;
  readonly debug: boolean;
}

export interface Command {
  /** "validate", "pki generate", ... */
  readonly name: string;
  readonly summary: string;
  /** Usage line after "kubesmith <name>", e.g. "-i FILE [--json]". */
  readonly usage: string;
  /** Longer help shown under the usage line. */
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Whether positionals are accepted (e.g. `pki renew NAMES...`). @default false */
  readonly allowPositionals?: boolean;
  /** Returns the exit code; throws KubesmithError for failures. */
  run(ctx: CommandContext): Promise<number>;
}

/** The inventory option every cluster command takes. */
export const INVENTORY_OPTION: OptionSpec = {
  type: 'string',
  short: 'i',
  description: 'inventory file',
  defaultText: 'inventory.yaml',
};

/** Common --json option. */
export const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'print machine-readable JSON on stdout' };

/** --server for commands that talk to kube-apiserver directly instead of through SSH. */
export const SERVER_OPTION: OptionSpec = { type: 'string', description: 'reach the apiserver directly at this URL instead of through SSH' };

/** Reads a string option, or the given default. */
export function stringOpt(ctx: CommandContext, name: string, fallback: string): string;
export function stringOpt(ctx: CommandContext, name: string): string | undefined;
export function stringOpt(ctx: CommandContext, name: string, fallback?: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : fallback;
}

/** Reads a boolean option. */
export function boolOpt(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}
