/**
 * POSIX quoting torture test: every argument must reach the program byte-for-byte through real
 * shells (sh = dash, bash), exactly as the remote login shell will parse our command lines.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, quote, quoteArgv, shArgv } from '../../../src/deploy/ssh/quote.js';

const TORTURE: readonly string[] = [
  '',
  ' ',
  'plain',
  'with space',
  "it's",
  "''",
  "'",
  '"double"',
  '\\',
  '\\\\n',
  '$HOME',
  '${HOME}',
  '$(id)',
  '`id`',
  '!',
  '!!',
  '*',
  '?',
  '[a-z]',
  '~',
  '~root',
  'a=b',
  '--flag=value with space',
  '-n',
  '#comment',
  ';',
  '&&',
  '|',
  '>out',
  '<in',
  '(sub)',
  '{a,b}',
  'line1\nline2',
  '\n',
  '\t',
  '\r\n',
  'unicode: héllo wörld 日本語 🚀',
  "mix 'single' \"double\" $var `cmd` \\ end",
  "'\"'\"'",
  '%s %d',
  '\x01\x02\x7f',
  'x'.repeat(10_000),
];

/** Runs `printf '%s\0' <args>` through a shell and returns what printf received. */
function roundTrip(shell: string, args: readonly string[]): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${args.map(quote).join(' ')}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(quote('abc-1.2_3/x:y@z,%+=')).toBe('abc-1.2_3/x:y@z,%+=');
    expect(quote('')).toBe("''");
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote('~')).toBe("'~'");
    expect(quote('$x')).toBe("'$x'");
  });

  for (const shell of ['sh', 'bash']) {
    it(`round-trips every torture argument through ${shell}`, () => {
      expect(roundTrip(shell, TORTURE)).toEqual(TORTURE);
    });
  }

  it('round-trips every single byte 1..255 (as UTF-8 text) through sh', () => {
    const chars = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1));
    expect(roundTrip('sh', chars)).toEqual(chars);
  });

  it('refuses NUL and empty commands', () => {
    expect(() => quote('a\0b')).toThrow(/NUL/);
    expect(() => quoteArgv([])).toThrow(/empty/);
  });

  it('prefixes sudo -n -- only when asked', () => {
    expect(commandLine(['systemctl', 'restart', 'etcd'], false)).toBe('systemctl restart etcd');
    expect(commandLine(['cat', '/a b'], true)).toBe("sudo -n -- cat '/a b'");
  });

  it('passes sh -c script arguments positionally', () => {
    const argv = shArgv('printf "%s|" "$@"', ['a b', "c'd", '$e']);
    const out = execFileSync('sh', ['-c', quoteArgv(argv)], { encoding: 'utf8' });
    expect(out).toBe("a b|c'd|$e|");
  });
});
