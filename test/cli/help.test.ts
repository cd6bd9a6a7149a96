/** CLI conventions: --help on every command and group, --version, exit codes for usage errors. */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { VERSION } from '../../src/cli/version.js';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCliCaptured(argv, { env });
}

describe('kubesmith CLI conventions', () => {
  it('prints the version from package.json', async () => {
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, out: `${VERSION}\n` });
  });

  it('lists every command in the tool help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(c.name);
  });

  it('exits 2 with a hint on an unknown command', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: unknown command "frobnicate"\nhint: run `kubesmith --help`/);
  });

  it.each(COMMANDS.map((c) => [c.name]))('has --help for "%s" listing its options', async (name) => {
    const cmd = COMMANDS.find((c) => c.name === name)!;
    const r = await cli([...name.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: kubesmith ${name}`);
    for (const opt of Object.keys(cmd.options)) expect(r.out).toContain(`--${opt}`);
  });

  it.each(COMMANDS.map((c) => [c.name]))('rejects an unknown flag for "%s" with exit 2', async (name) => {
    const r = await cli([...name.split(' '), '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`error: ${name}: Unknown option '--no-such-flag'`);
  });

  it('has help for command groups', async () => {
    const groups = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];
    for (const g of groups) {
      const r = await cli([g, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: kubesmith ${g} <subcommand>`);
    }
  });
});
