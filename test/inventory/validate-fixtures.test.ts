/**
 * Table-driven: every fixture under test/fixtures/inventories/ is validated and its FULL issue
 * list, in order, is compared with NAME.expected.txt (`LINE:COL: message`, warnings marked).
 * Invalid fixtures must not produce an inventory; valid ones must, with exactly the listed warnings.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateInventory } from '../../src/inventory/validate.js';
import type { InventoryIssue } from '../../src/shared/errors.js';

const ROOT = new URL('../fixtures/inventories/', import.meta.url).pathname;
const REPO = new URL('../../', import.meta.url).pathname;

const yamlIn = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.yaml')).sort();

const asLines = (issues: readonly InventoryIssue[]): string[] =>
  issues.map((i) => `${i.line}:${i.col}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.message}`);

const expectedLines = (yamlPath: string): string[] => {
  const txt = yamlPath.replace(/\.yaml$/, '.expected.txt');
  return existsSync(txt) ? readFileSync(txt, 'utf8').split('\n').filter((l) => l !== '') : [];
};

describe('invalid inventories', () => {
  const names = yamlIn('invalid');

  it('has a corpus of at least 25 broken inventories, each with an expected issue list', () => {
    expect(names.length).toBeGreaterThanOrEqual(25);
    for (const n of names) expect(existsSync(join(ROOT, 'invalid', n.replace(/\.yaml$/, '.expected.txt'))), n).toBe(true);
  });

  it.each(names)('%s: reports exactly the expected issues, in order', (name) => {
    const file = join(ROOT, 'invalid', name);
    const result = validateInventory(readFileSync(file, 'utf8'), name);
    expect(asLines(result.issues)).toEqual(expectedLines(file));
    expect(result.inventory).toBeUndefined();
    expect(result.issues.some((i) => i.severity === 'error')).toBe(true);
    for (const i of result.issues) {
      expect(i.file).toBe(name);
      expect(i.line).toBeGreaterThanOrEqual(1);
      expect(i.col).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('valid inventories', () => {
  const cases = [
    ...yamlIn('valid').map((n) => ({ name: n, file: join(ROOT, 'valid', n) })),
    { name: 'inventory.example.yaml (repo root)', file: join(REPO, 'inventory.example.yaml') },
  ];

  it.each(cases)('$name: validates with exactly the expected warnings', ({ file }) => {
    const result = validateInventory(readFileSync(file, 'utf8'), 'inv.yaml', '/abs/inv.yaml');
    expect(asLines(result.issues)).toEqual(expectedLines(file));
    expect(result.issues.every((i) => i.severity === 'warning')).toBe(true);
    expect(result.inventory?.source).toBe('/abs/inv.yaml');
  });
});

describe('issue paths', () => {
  it('carry the dotted path of the offending key or value', () => {
    const name = 'per-host-ssh.yaml';
    const result = validateInventory(readFileSync(join(ROOT, 'invalid', name), 'utf8'), name);
    expect(result.issues.map((i) => i.path)).toEqual([
      'ssh.user',
      'ssh.bastion',
      'hosts[0].ssh.port',
      'hosts[0].ssh.hostKeyPolicy',
      'hosts[0].ssh.identity',
      'hosts[0].ssh.bastion.address',
    ]);
  });
});
