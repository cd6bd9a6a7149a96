/** Drives the CLI in-process in a scratch directory holding the example inventory and a saved fixture PKI. */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../../src/cli/run-cli.js';
import { savePkiState } from '../../../src/state/pki-store.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { pkiFixtureResult } from '../../support/pki-fixture.js';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs `kubesmith <argv>` with cwd `cwd`. */
export async function cli(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await runCli(argv, { stdout, stderr, env: { NO_COLOR: '1' }, cwd, signal: new AbortController().signal });
  return { code, out: stdout.text, err: stderr.text };
}

/** A scratch dir with inventory.yaml (the shipped example) and, unless `pki: false`, its PKI state saved. */
export async function scratchCluster(opts: { pki?: boolean } = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-render-'));
  cpSync(new URL('../../../inventory.example.yaml', import.meta.url).pathname, join(dir, 'inventory.yaml'));
  if (opts.pki !== false) {
    const r = await pkiFixtureResult(exampleInventory());
    savePkiState(join(dir, '.kubesmith', 'demo', 'pki'), r.writes);
  }
  return dir;
}
