/** loadInventory (file -> Inventory or InventoryError) and the state/bundle paths derived from it. */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/state/load-inventory.js';
import { bundleDir, stateDir } from '../../src/state/paths.js';
import { InventoryError, UsageError } from '../../src/shared/errors.js';
import { exampleInventory } from '../support/inventory-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (rel: string): string => readFileSync(new URL(`../fixtures/inventories/${rel}`, import.meta.url), 'utf8');

describe('loadInventory', () => {
  it('returns the inventory with its absolute source and the warnings', async () => {
    writeFileSync(join(dir, 'even.yaml'), fixture('valid/even-etcd.yaml'));
    const { inventory, warnings } = await loadInventory('even.yaml', dir);
    expect(inventory.source).toBe(join(dir, 'even.yaml'));
    expect(warnings.map((w) => [w.file, w.line, w.severity])).toEqual([['even.yaml', 6, 'warning']]);
  });

  it('throws InventoryError carrying every issue', async () => {
    writeFileSync(join(dir, 'bad.yaml'), fixture('invalid/duplicates.yaml'));
    const err = await loadInventory('bad.yaml', dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InventoryError);
    const e = err as InventoryError;
    expect(e.issues).toHaveLength(3);
    expect(e.message).toBe('bad.yaml: 3 problems in the inventory');
    expect(e.detail[0]).toBe('bad.yaml:12:11: duplicate host name "node01" (first used on line 9); each host needs its own');
    expect(e.exitCode).toBe(2);
  });

  it('names the missing path and suggests -i', async () => {
    const err = await loadInventory('missing.yaml', dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe('missing.yaml: inventory file not found');
    expect((err as UsageError).hint).toContain('-i FILE');
  });
});

describe('state paths', () => {
  const inv = exampleInventory({ source: '/srv/clusters/prod/inventory.yaml', bundle: { dir: './bundle' } });

  it('keeps state next to the inventory, per cluster', () => {
    expect(stateDir(inv)).toBe('/srv/clusters/prod/.kubesmith/demo');
  });

  it('resolves bundle.dir against the inventory directory; absolute and ~ paths as written', () => {
    expect(bundleDir(inv)).toBe('/srv/clusters/prod/bundle');
    expect(bundleDir({ ...inv, bundle: { dir: '../shared/bundle' } })).toBe('/srv/clusters/shared/bundle');
    expect(bundleDir({ ...inv, bundle: { dir: '/opt/bundles/v1' } })).toBe('/opt/bundles/v1');
    expect(bundleDir({ ...inv, bundle: { dir: '~/bundles' } })).toBe(join(homedir(), 'bundles'));
  });
});
