/**
 * POSIX shell quoting for argv sent over SSH. The remote login shell (sh, dash, bash, zsh) parses
 * the command line once, so every argument is either a plain word or single-quoted; a single
 * quote inside becomes '\'' (close, escaped quote, reopen). Unlike zx's bash-only $'...' form this
 * works in every POSIX shell. NUL cannot be passed in argv at all and is refused.
 */

/** Characters that need no quoting in any POSIX shell, anywhere in a word. */
const PLAIN = /^[A-Za-z0-9_\-./,:@%+=]+$/;

/** Quotes one argument so the remote shell sees exactly `arg`. */
export function quote(arg: string): string {
  if (arg.includes('\0')) throw new TypeError(`cannot pass a NUL byte in a shell argument: ${JSON.stringify(arg)}`);
  if (arg === '') return "''";
  if (PLAIN.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** Quotes and joins argv into one command line. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('empty command');
  return argv.map(quote).join(' ');
}

/** The command line, run through `sudo -n --` when `sudo` is set (never prompts; fails instead). */
export function commandLine(argv: readonly string[], sudo: boolean): string {
  return sudo ? `sudo -n -- ${quoteArgv(argv)}` : quoteArgv(argv);
}

/** argv that runs a shell script with positional arguments: sh -c SCRIPT sh ARG1 ARG2 ... */
export function shArgv(script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}
