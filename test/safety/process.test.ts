/**
 * Safety suite, D (#13 items 9-12): hostile command lines and stops, for every command, against a
 * workspace with an inventory and a generated PKI. Each must end with its documented exit code and
 * message, and not one file may change: no key, no CA, no state file, no log, no output directory.
 * In-process and fast; the real-process variants (signals, closed pipes) are in test/cli/.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { outputFailed, stoppedBy } from '../../src/cli/abort.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';
import { commandArgv } from '../support/command-argv.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
const INVENTORY = readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048', 'keyAlgorithm: ecdsa-p256');
let root: string;

/** A workspace: inventory.yaml, a generated PKI (ECDSA: fast), and a directory -i may name by mistake. */
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ks-safety-process-'));
  writeFileSync(join(root, 'inventory.yaml'), INVENTORY);
  mkdirSync(join(root, 'site'));
  writeFileSync(join(root, 'site', 'inventory.yaml'), INVENTORY);
  const r = await runCliCaptured(['pki', 'generate', '-i', 'inventory.yaml'], { cwd: root });
  expect(r.code, r.err).toBe(0);
});

/** Runs argv in the workspace; asserts the exit code, the message, and that nothing changed. */
async function refuses(argv: string[], code: number, message: RegExp, signal?: AbortSignal): Promise<CliResult> {
  const before = snapshotTree(root);
  const r = await runCliCaptured(argv, { cwd: root, env: { NO_COLOR: '1' }, ...(signal ? { signal } : {}) });
  expect(r.err).toMatch(message);
  expect(r.code, r.err).toBe(code);
  expect(treeChanges(before, snapshotTree(root))).toEqual([]);
  return r;
}

const base = commandArgv;

describe('-i names a directory: exit 2 naming the file inside it, for every command', () => {
  it.each(COMMANDS.map((c) => [c.name]))('%s', async (name) => {
    await refuses([...base(name), '-i', 'site'], 2, /error: site: is a directory, not an inventory file\nhint: pass the inventory FILE inside it: -i site\/inventory\.yaml/);
  });
});

describe('an empty value for any option of any command: exit 2', () => {
  const cases = COMMANDS.flatMap((c) => Object.entries(c.options).filter(([, o]) => o.type === 'string').map(([opt]) => [c.name, opt] as const));
  it.each(cases)('%s --%s ""', async (name, opt) => {
    await refuses([...base(name), '-i', 'inventory.yaml', `--${opt}`, ''], 2, new RegExp(`error: ${name}: --${opt} is empty`));
  });
});

describe('apply with a hostile selection: exit 2, and no PKI save, no log, no host', () => {
  it.each([
    [['--limit', ''], /--limit is empty/],
    [['--limit', 'node01,,node02'], /an empty name/],
    [['--only', 'etcd', '--skip', 'etcd'], /--only and --skip both name "etcd"/],
    [['--only', 'etcd,etcd'], /"etcd" is given twice/],
    [['--limit', 'node3'], /unknown host "node3"/],
    [['--only', 'etcd', '--limit', 'master02'], /nothing to do/],
  ])('apply %j', async (args, message) => {
    await refuses(['apply', '-i', 'inventory.yaml', ...args], 2, message);
  });
});

describe('unknown commands and flags: exit 2 with a did-you-mean, nothing run', () => {
  it.each([
    [['aply', '-i', 'inventory.yaml'], /unknown command "aply" \(did you mean apply\?\)/],
    [['pki', 'genrate', '-i', 'inventory.yaml'], /unknown subcommand "genrate" \(did you mean pki generate\?\)/],
    [['pki', 'generate', '-i', 'inventory.yaml', '--neww-ca', 'etcd-ca'], /Unknown option '--neww-ca' \(did you mean --new-ca\?\)/],
    [['render', '-i', 'inventory.yaml', '--out', 'a', '--out', 'b'], /--out given twice/],
  ])('%j', async (argv, message) => {
    await refuses(argv, 2, message);
  });
});

describe('a run stopped before it starts changes nothing, for every command', () => {
  it.each(COMMANDS.map((c) => [c.name]))('%s under SIGTERM: exit 143', async (name) => {
    const c = new AbortController();
    c.abort(stoppedBy('SIGTERM'));
    await refuses([...base(name), '-i', 'inventory.yaml'], 143, /interrupted by SIGTERM/, c.signal);
  });

  it.each(COMMANDS.map((c) => [c.name]))('%s with its output closed: quiet, exit 141', async (name) => {
    const c = new AbortController();
    c.abort(outputFailed('stdout', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
    const r = await refuses([...base(name), '-i', 'inventory.yaml'], 141, /^$/, c.signal);
    expect(r.out).toBe('');
  });
});
