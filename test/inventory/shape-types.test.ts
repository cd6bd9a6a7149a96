/**
 * The YAML shape (validate-shape.ts) and the Inventory type (types.ts) must list the same keys,
 * so a field added to one and forgotten in the other fails here (and in tsc, for the types).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INVENTORY_SHAPE } from '../../src/inventory/validate-shape.js';
import type { RawCluster, RawHost, RawInventory, RawSsh } from '../../src/inventory/validate-shape.js';
import { validateInventory } from '../../src/inventory/validate.js';
import type { ClusterSettings, Inventory, InventoryHost, SshSettings } from '../../src/inventory/types.js';
import type { Spec } from '../../src/inventory/validate-schema.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameKeys: [
  Same<keyof RawInventory, Exclude<keyof Inventory, 'source'>>,
  Same<keyof RawCluster, keyof ClusterSettings>,
  Same<keyof RawHost, keyof InventoryHost>,
  Same<keyof RawSsh, keyof SshSettings>,
] = [true, true, true, true];

/** Every key path the shape accepts, e.g. "cluster.apiServer.vip", "hosts.ssh.bastion.port". */
function shapePaths(spec: Spec<unknown>, prefix = ''): string[] {
  return Object.entries(spec.fields ?? {}).flatMap(([k, child]) => {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    return child.fields ? [p, ...shapePaths(child, p)] : [p];
  });
}

/** Every key path of a value (arrays of objects contribute their entries' keys). */
function valuePaths(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.length > 0 && typeof v[0] === 'object' ? valuePaths(v[0], prefix) : [];
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, child]) => {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    const nested = valuePaths(child, p);
    return typeof child === 'object' && child !== null && !(Array.isArray(child) && typeof child[0] !== 'object') ? [p, ...nested] : [p];
  });
}

describe('inventory shape', () => {
  it('matches the Inventory type key for key', () => {
    expect(sameKeys).toEqual([true, true, true, true]);
    const text = readFileSync(new URL('../fixtures/inventories/valid/every-field.yaml', import.meta.url), 'utf8');
    const inv = validateInventory(text, 'every-field.yaml').inventory;
    // every-field.yaml sets every key; the defaulted value then has exactly the shape's keys (+ source, host ssh).
    const fromValue = valuePaths(inv).filter((p) => p !== 'source' && !p.startsWith('hosts.ssh')).sort();
    // vip only goes with ha: vip (every-field.yaml uses local-proxy); vip.yaml covers it.
    const fromShape = shapePaths(INVENTORY_SHAPE)
      .filter((p) => !p.startsWith('hosts.ssh') && p !== 'cluster.apiServer.vip')
      .sort();
    expect(fromValue).toEqual(fromShape);
  });
});
