/**
 * Why the inventory named by -i cannot be read, as a usage error (exit 2) whose hint names the
 * real cause: a directory (and the inventory file inside it, when there is one), permission
 * denied (for which user, and the file's mode and owner), or a missing file. These are mistakes
 * in how kubesmith was called, not failures of the state; "cannot be read" alone sent operators
 * looking in the wrong place.
 */
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { StateError, UsageError, type KubesmithError } from '../shared/errors.js';

/** Names tried, in order, when -i names a directory. */
const INVENTORY_NAMES = ['inventory.yaml', 'inventory.yml'];

/** "uid 1000 (alice)", with the name from /etc/passwd when it has one. */
export function describeUid(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    return line ? `uid ${uid} (${line.split(':')[0]})` : `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The hint for a directory: the inventory file in it, else its YAML files, else what -i wants. */
function directoryHint(abs: string, shown: string): string {
  const inside = INVENTORY_NAMES.find((n) => statOrUndefined(join(abs, n))?.isFile());
  if (inside) return `pass the inventory FILE inside it: -i ${join(shown, inside)}`;
  let yaml: string[] = [];
  try {
    yaml = readdirSync(abs).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    // unreadable directory: fall through to the generic hint
  }
  if (yaml.length > 0) return `pass an inventory FILE with -i, e.g. -i ${join(shown, yaml[0] ?? '')} (YAML files there: ${yaml.slice(0, 5).join(', ')}${yaml.length > 5 ? ', ...' : ''})`;
  return `pass the inventory FILE with -i FILE; ${shown} holds no inventory.yaml`;
}

/** The hint for permission denied: who we are, and the file's (or its directory's) mode and owner. */
function permissionHint(abs: string): string {
  const me = userInfo();
  const who = `kubesmith runs as ${describeUid(me.uid)}`;
  const st = statOrUndefined(abs);
  if (st === undefined) {
    const dir = dirname(abs);
    const d = statOrUndefined(dir);
    const about = d ? `${dir} is mode ${(d.mode & 0o7777).toString(8).padStart(4, '0')}, owned by ${describeUid(d.uid)}` : `a directory on the path to ${abs} cannot be searched`;
    return `${who}; ${about}: run kubesmith as a user that can reach the file, or grant this user search (x) permission on the directory`;
  }
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  return `${who}; the file is mode ${mode}, owned by ${describeUid(st.uid)} (group ${st.gid}): run kubesmith as its owner, or grant this user read permission (e.g. chmod g+r with a shared group)`;
}

/**
 * The error for a failed read of the inventory at `abs` (typed as `shown`). Exit 2 for the
 * mistakes above; anything else (EIO, a vanished file system) stays a StateError, exit 1.
 */
export function inventoryReadError(err: unknown, abs: string, shown: string): KubesmithError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const what = code === 'ENOENT' ? 'inventory file not found' : 'a part of this path is a file, not a directory';
    return new UsageError(`${shown}: ${what}`, {
      hint: 'pass the inventory with -i FILE (default inventory.yaml); start from inventory.example.yaml',
      cause: err,
    });
  }
  if (code === 'EISDIR') return new UsageError(`${shown}: is a directory, not an inventory file`, { hint: directoryHint(abs, shown), cause: err });
  if (code === 'EACCES' || code === 'EPERM') {
    return new UsageError(`${shown}: permission denied reading the inventory`, { hint: permissionHint(abs), cause: err });
  }
  return new StateError(`${shown}: the inventory cannot be read (${code ?? (err as Error).message})`, { hint: 'check the file and the file system it is on', cause: err });
}
