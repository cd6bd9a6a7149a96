/** The state directory: modes, all-or-nothing saves across a crash, and the layout next to the inventory. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPkiState, pkiStateDir, savePkiState } from '../../src/state/pki-store.js';
import { LockedError } from '../../src/shared/errors.js';
import { exampleInventory } from '../support/inventory-builder.js';

const newDir = () => join(mkdtempSync(join(tmpdir(), 'kubesmith-store-')), '.kubesmith', 'demo', 'pki');
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('pki-store', () => {
  it('lives next to the inventory: <inventory dir>/.kubesmith/<cluster>/pki', () => {
    expect(pkiStateDir(exampleInventory({ source: '/srv/clusters/inventory.yaml' }))).toBe('/srv/clusters/.kubesmith/demo/pki');
  });

  it('creates every directory 0700 and writes keys 0600, certificates 0644, leaving no temp files', () => {
    const dir = newDir();
    savePkiState(dir, [
      { name: 'a.key', content: 'KEY', secret: true },
      { name: 'a.crt', content: 'CERT', secret: false },
    ]);
    expect([mode(dir), mode(join(dir, '..')), mode(join(dir, '..', '..'))]).toEqual(['700', '700', '700']);
    expect([mode(join(dir, 'a.key')), mode(join(dir, 'a.crt'))]).toEqual(['600', '644']);
    expect(readdirSync(dir).sort()).toEqual(['a.crt', 'a.key']);
    expect(loadPkiState(dir).pairs.get('a')).toEqual({ certPem: 'CERT', keyPem: 'KEY' });
  });

  it('treats a missing directory as an empty state', () => {
    expect(loadPkiState('/nonexistent/kubesmith/pki').pairs.size).toBe(0);
  });

  it('rolls an interrupted save forward when its commit marker was written', () => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'a.key'), 'OLD KEY', { mode: 0o600 });
    writeFileSync(join(dir, 'a.crt'), 'OLD CERT');
    // crashed after the marker and the first rename: the key is new, the cert is still pending
    writeFileSync(join(dir, 'a.key'), 'NEW KEY', { mode: 0o600 });
    writeFileSync(join(dir, '.a.crt.pending'), 'NEW CERT');
    writeFileSync(join(dir, '.commit'), 'a.key\na.crt', { mode: 0o600 });
    expect(loadPkiState(dir).pairs.get('a')).toEqual({ certPem: 'NEW CERT', keyPem: 'NEW KEY' });
    expect(readdirSync(dir).sort()).toEqual(['a.crt', 'a.key']);
  });

  it('discards pending files of a save that crashed before its commit marker', () => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'a.key'), 'OLD KEY', { mode: 0o600 });
    writeFileSync(join(dir, 'a.crt'), 'OLD CERT');
    writeFileSync(join(dir, '.a.key.pending'), 'NEW KEY', { mode: 0o600 });
    expect(loadPkiState(dir).pairs.get('a')).toEqual({ certPem: 'OLD CERT', keyPem: 'OLD KEY' });
    expect(readdirSync(dir).sort()).toEqual(['a.crt', 'a.key']);
    expect(readFileSync(join(dir, 'a.key'), 'utf8')).toBe('OLD KEY');
  });

  it('refuses to save while another live kubesmith holds the lock, and takes over a stale lock', () => {
    const dir = newDir();
    savePkiState(dir, [{ name: 'a.crt', content: 'ONE', secret: false }]);
    writeFileSync(join(dir, '.lock'), String(process.ppid)); // a live process that is not us
    expect(() => savePkiState(dir, [{ name: 'a.crt', content: 'TWO', secret: false }])).toThrow(LockedError);
    expect(readFileSync(join(dir, 'a.crt'), 'utf8')).toBe('ONE');
    writeFileSync(join(dir, '.a.crt.pending'), 'HALF');
    expect(() => loadPkiState(dir)).toThrow(/another kubesmith \(pid \d+\) is writing the PKI state/);
    writeFileSync(join(dir, '.lock'), '999999999'); // its owner is gone
    savePkiState(dir, [{ name: 'a.crt', content: 'THREE', secret: false }]);
    expect(readdirSync(dir).sort()).toEqual(['a.crt']);
    expect(readFileSync(join(dir, 'a.crt'), 'utf8')).toBe('THREE');
  });
});
