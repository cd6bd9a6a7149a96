/** Drives the whole CLI in-process (runCli) and captures what it prints, for command tests. */
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCliCaptured(
  argv: readonly string[],
  opts: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly signal?: AbortSignal } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(argv, {
    stdout,
    stderr,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    signal: opts.signal ?? new AbortController().signal,
  });
  return { code, out, err };
}
