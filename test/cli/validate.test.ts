/** `kubesmith validate` driven in-process through runCli with collecting streams. */
import { Writable } from 'node:stream';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';

const FIXTURES = new URL('../fixtures/inventories/', import.meta.url).pathname;

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(argv: string[], cwd = FIXTURES): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await runCli(argv, { stdout, stderr, env: { NO_COLOR: '1' }, cwd, signal: new AbortController().signal });
  return { code, out: stdout.text, err: stderr.text };
}

const expected = (rel: string): string[] =>
  readFileSync(join(FIXTURES, rel.replace(/\.yaml$/, '.expected.txt')), 'utf8').split('\n').filter((l) => l !== '');

describe('kubesmith validate', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ks-validate-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('exits 0 and prints a one-line summary for a clean inventory', async () => {
    const r = await cli(['validate', '-i', 'valid/vip.yaml']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      'valid/vip.yaml: OK: cluster ha-vip, Kubernetes v1.35.0, 5 hosts (etcd 3, control-plane 2, worker 1, loadbalancer 2), API ha vip\n',
    );
  });

  it('exits 0 with warnings on stderr as FILE:LINE:COL: warning: ...', async () => {
    const r = await cli(['validate', '--inventory', 'valid/even-etcd.yaml']);
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter(Boolean)).toEqual(expected('valid/even-etcd.yaml').map((l) => `valid/even-etcd.yaml:${l}`));
    expect(r.out).toMatch(/^valid\/even-etcd\.yaml: OK: cluster even, .*, 1 warning\n$/);
  });

  it('exits 2 and prints every issue as FILE:LINE:COL: message, with the path as given', async () => {
    const r = await cli(['validate', '-i', './invalid/duplicates.yaml']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.split('\n').filter(Boolean);
    expect(lines.slice(0, -1)).toEqual(expected('invalid/duplicates.yaml').map((l) => `./invalid/duplicates.yaml:${l}`));
    expect(lines.at(-1)).toBe('./invalid/duplicates.yaml: 3 errors; fix them and run kubesmith validate again');
  });

  it('prints {ok, issues} on stdout with --json', async () => {
    const bad = await cli(['validate', '-i', 'invalid/vip-not-an-ip.yaml', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('');
    expect(JSON.parse(bad.out)).toEqual({
      ok: false,
      issues: [
        {
          file: 'invalid/vip-not-an-ip.yaml',
          line: 7,
          col: 10,
          path: 'cluster.apiServer.vip',
          severity: 'error',
          message: 'vip "api.example.com" is not a valid IP address',
        },
      ],
    });
    const good = await cli(['validate', '-i', 'valid/single-master.yaml', '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out)).toEqual({ ok: true, issues: [] });
  });

  it('reads inventory.yaml in the working directory by default and writes nothing', async () => {
    cpSync(join(FIXTURES, 'valid/single-master.yaml'), join(scratch, 'inventory.yaml'));
    const r = await cli(['validate'], scratch);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^inventory\.yaml: OK: cluster solo, /);
    expect(readdirSync(scratch)).toEqual(['inventory.yaml']); // no .kubesmith/ state created
  });

  it('exits 2 with a clear message naming the path when the file is missing', async () => {
    const r = await cli(['validate', '-i', 'no/such/inventory.yaml'], scratch);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('error: no/such/inventory.yaml: inventory file not found');
    expect(r.err).toContain('hint: pass the inventory with -i FILE');
  });

  it('rejects a directory as a usage error (exit 2) pointing at the file inside it', async () => {
    cpSync(join(FIXTURES, 'valid/single-master.yaml'), join(scratch, 'inventory.yaml'));
    const r = await cli(['validate', '-i', '.'], scratch);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: .: is a directory, not an inventory file\nhint: pass the inventory FILE inside it: -i inventory.yaml');
  });

  it('shows usage with --help', async () => {
    const r = await cli(['validate', '--help']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('Usage: kubesmith validate [-i FILE] [--json]');
  });
});
