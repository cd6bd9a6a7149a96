/**
 * Makes paths of the machine absent from one test host (an "air-gapped bastion" that must not see
 * this machine's npm, node_modules or kubesmith checkouts). A host's root is an overlay with the
 * machine's / as the read-only lower layer; an overlayfs whiteout (a character device 0/0) in the
 * upper layer hides the lower entry of that name. The whiteouts are made before the overlay is
 * mounted (changing the upper layer of a mounted overlay is undefined), and the machine's own files
 * are never touched. See https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { runOk } from './test-hosts-shell.js';

/** Creates a whiteout in `upper` for each absolute `paths` entry (as seen inside the host). */
export async function hidePaths(upper: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    if (!isAbsolute(p) || p === '/' || p.split('/').includes('..')) throw new Error(`test hosts: cannot hide ${p}: give an absolute path below /`);
    const at = join(upper, p);
    mkdirSync(dirname(at), { recursive: true, mode: 0o755 });
    await runOk('mknod', [at, 'c', '0', '0']);
  }
}
