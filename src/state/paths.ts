/** Where local state and the offline bundle live, derived from the inventory file's location. */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Inventory } from '../inventory/types.js';

/** `<dir of inventory file>/.kubesmith/<cluster.name>`: PKI, logs and lock for this cluster. */
export function stateDir(inventory: Inventory): string {
  return join(dirname(inventory.source), '.kubesmith', inventory.cluster.name);
}

/** bundle.dir resolved against the inventory file's directory (`~/` means the home directory). */
export function bundleDir(inventory: Inventory): string {
  const dir = inventory.bundle.dir;
  if (dir === '~' || dir.startsWith('~/')) return join(homedir(), dir.slice(1));
  return resolve(dirname(inventory.source), dir);
}
