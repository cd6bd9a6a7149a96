/**
 * #13 item 12, the command line itself: unknown commands and flags get a did-you-mean like
 * validate's; `help CMD`, `-h CMD` and `help pki generate` show that command's help; an empty
 * value for any option of any command (`--out ""`, `--server=`, `-i ""`) is refused instead of
 * being read as "not given", and so is a value option given twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { commandHelp, groupHelp } from '../../src/cli/help.js';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const cmd = (name: string) => COMMANDS.find((c) => c.name === name)!;

describe('unknown commands get a did-you-mean', () => {
  it.each([
    [['aply'], 'unknown command "aply" (did you mean apply?)'],
    [['valdate'], 'unknown command "valdate" (did you mean validate?)'],
    [['generate'], 'unknown command "generate" (did you mean pki generate?)'],
    [['chek'], 'unknown command "chek" (did you mean pki check?)'],
    [['deploy'], 'unknown command "deploy" (did you mean apply?)'],
    [['pki', 'genrate'], 'pki: unknown subcommand "genrate" (did you mean pki generate?)'],
    [['pki', 'renw'], 'pki: unknown subcommand "renw" (did you mean pki renew?)'],
  ])('%j', async (argv, message) => {
    const r = await runCliCaptured(argv);
    expect(r.err.split('\n')[0]).toBe(`error: ${message}`);
    expect(r.code).toBe(2);
  });

  it('options before the command: says where they go', async () => {
    const r = await runCliCaptured(['-i', 'inv.yaml', 'validate']);
    expect(r.err).toContain('error: "-i" before the command: options go after it\nhint: e.g. kubesmith validate -i inv.yaml');
    expect(r.code).toBe(2);
  });
});

describe('unknown flags get a did-you-mean, or the command they belong to', () => {
  it.each([
    [['apply', '--dryrun'], "apply: Unknown option '--dryrun' (did you mean --dry-run?)"],
    [['pki', 'check', '--warn-whithin', '30d'], "pki check: Unknown option '--warn-whithin' (did you mean --warn-within?)"],
    [['render', '--outt', 'x'], "render: Unknown option '--outt' (did you mean --out?)"],
    [['validate', '--jsn'], "validate: Unknown option '--jsn' (did you mean --json?)"],
    [['plan', '--out', 'x'], "plan: Unknown option '--out': --out is an option of etcd snapshot, render, not plan"],
    [['apply', 'dry-run'], 'apply: unexpected argument "dry-run": apply takes no arguments besides its options (did you mean --dry-run?)'],
  ])('%j', async (argv, message) => {
    const r = await runCliCaptured(argv);
    expect(r.err.split('\n')[0]).toBe(`error: ${message}`);
    expect(r.code).toBe(2);
  });
});

describe('help for one command', () => {
  it.each([
    [['help', 'apply'], 'apply'],
    [['-h', 'apply'], 'apply'],
    [['--help', 'render'], 'render'],
    [['help', 'pki', 'generate'], 'pki generate'],
    [['-h', 'pki', 'check'], 'pki check'],
    [['pki', 'renew', '-h'], 'pki renew'],
  ])('%j shows that command\'s help', async (argv, name) => {
    const r = await runCliCaptured(argv);
    expect(r).toEqual({ code: 0, out: `${commandHelp(cmd(name))}\n`, err: '' });
  });

  it('help pki and pki help show the group', async () => {
    const group = COMMANDS.filter((c) => c.name.startsWith('pki '));
    for (const argv of [['help', 'pki'], ['pki', 'help'], ['pki', '-h']]) {
      expect(await runCliCaptured(argv)).toEqual({ code: 0, out: `${groupHelp('pki', group)}\n`, err: '' });
    }
  });

  it.each([
    [['help', 'aply'], 'unknown command "aply" (did you mean apply?)'],
    [['help', 'pki', 'genrate'], 'help: unknown subcommand "pki genrate" (did you mean pki generate?)'],
    [['help', 'apply', 'now'], 'help: "now" after "apply" names nothing'],
  ])('%j is a usage error', async (argv, message) => {
    const r = await runCliCaptured(argv);
    expect(r.err.split('\n')[0]).toBe(`error: ${message}`);
    expect(r.code).toBe(2);
  });
});

describe('empty and repeated option values', () => {
  const cases = COMMANDS.flatMap((c) =>
    Object.entries(c.options)
      .filter(([, o]) => o.type === 'string')
      .flatMap(([opt]) => [
        [c.name, [`--${opt}`, '']],
        [c.name, [`--${opt}=`]],
      ] as const),
  );
  it.each(cases)('%s %j: exit 2, nothing read or written', async (name, args) => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-empty-'));
    const before = snapshotTree(dir);
    const r = await runCliCaptured([...name.split(' '), ...args], { cwd: dir });
    expect(r.err.split('\n')[0]).toBe(`error: ${name}: ${args[0]?.replace(/=$/, '')} is empty`);
    expect(r.code).toBe(2);
    expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  });

  it('-i "" is empty too (not the current directory)', async () => {
    const r = await runCliCaptured(['validate', '-i', '']);
    expect(r.err.split('\n')[0]).toBe('error: validate: --inventory is empty');
    expect(r.code).toBe(2);
  });

  it('a value option given twice is refused, naming both values', async () => {
    const r = await runCliCaptured(['render', '-i', 'a.yaml', '--out', 'one', '-o', 'two']);
    expect(r.err.split('\n')[0]).toBe('error: render: --out given twice ("one" and "two")');
    expect(r.code).toBe(2);
  });

  it('an empty argument is refused (pki renew "")', async () => {
    const r = await runCliCaptured(['pki', 'renew', '']);
    expect(r.err.split('\n')[0]).toBe('error: pki renew: argument 1 is empty');
    expect(r.code).toBe(2);
  });
});

describe('values that would be silently dropped or mean nothing', () => {
  it.each([
    [['status', '--server', 'https://admin:secret@10.0.0.1:6443'], 'error: --server https://admin:secret@10.0.0.1:6443 is not an https://HOST[:PORT] URL'],
    [['status', '--server', 'https://10.0.0.1:0'], 'error: --server https://10.0.0.1:0 is not an https://HOST[:PORT] URL'],
    [['approve', '--server', 'https://10.0.0.1:6443#x'], 'error: --server https://10.0.0.1:6443#x is not an https://HOST[:PORT] URL'],
    [['approve', '--watch', '--timeout', '0s'], 'error: approve: --timeout 0s is zero: --watch would give up at once'],
  ])('%j: exit 2 before anything is read', async (argv, first) => {
    const r = await runCliCaptured(argv, { cwd: mkdtempSync(join(tmpdir(), 'ks-values-')) });
    expect(r.err.split('\n')[0]).toBe(first);
    expect(r.code).toBe(2);
  });
});
