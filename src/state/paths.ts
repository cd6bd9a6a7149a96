/** Where local state and the offline bundle live, derived from the inventory file's location. */
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { StateError } from '../shared/errors.js';

const realOrUndefined = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/**
 * `<real dir of the inventory file>/.kubesmith/<cluster.name>`: PKI, logs and lock for this cluster.
 * The directory is the inventory's *real* location (symlinks resolved), so a symlinked inventory
 * file, or one reached through a symlinked directory, finds the same state as the real path: a state
 * keyed on how the path was typed would start a second PKI (a new CA) beside the cluster's own.
 * A state that exists only under the typed spelling (kubesmith before this rule) is refused, never
 * silently replaced by a new one.
 */
export function stateDir(inventory: Inventory): string {
  const name = inventory.cluster.name;
  const typedDir = dirname(inventory.source);
  const real = realOrUndefined(inventory.source);
  const canonical = join(real === undefined ? typedDir : dirname(real), '.kubesmith', name);
  if (real === undefined || dirname(real) === typedDir) return canonical;
  const typed = join(typedDir, '.kubesmith', name);
  const typedReal = realOrUndefined(typed);
  if (typedReal === undefined || typedReal === realOrUndefined(canonical)) return canonical;
  const both = realOrUndefined(canonical) !== undefined;
  throw new StateError(
    both
      ? `${inventory.source}: two state directories for cluster "${name}": ${typed} (next to the symlink) and ${canonical} (next to the real file ${real})`
      : `${inventory.source}: the state of cluster "${name}" is at ${typed}, next to the symlink, not next to the real file ${real}`,
    {
      detail: [`symlink: ${inventory.source} -> ${real}`],
      hint: both
        ? `kubesmith will not pick one: they may hold different CAs. Keep the one this cluster was deployed from (compare ${typed}/pki/cluster.json and ${canonical}/pki/cluster.json with the hosts' /opt/kubernetes/ssl/ca.pem), move the other away, and run again; nothing was written`
        : `kubesmith keeps state next to the real inventory file so every spelling of its path finds the same state: \`mv ${typed} ${canonical}\`, then run again; nothing was written`,
    },
  );
}

/** bundle.dir resolved against the inventory file's directory (`~/` means the home directory). */
export function bundleDir(inventory: Inventory): string {
  const dir = inventory.bundle.dir;
  if (dir === '~' || dir.startsWith('~/')) return join(homedir(), dir.slice(1));
  return resolve(dirname(inventory.source), dir);
}
