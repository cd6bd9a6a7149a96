/**
 * `<state>/admin.kubeconfig`: the operator's ready kubeconfig after `apply` and `pki renew`, as
 * kubeadm leaves /etc/kubernetes/admin.conf. 0600, written atomically (temp file, fsync, rename,
 * directory fsync). kubesmith replaces only a file it wrote itself: the first line carries the
 * sha256 of the rest, so a file the operator edited (or `kubectl config` rewrote), or any other
 * file at that path, is refused with a hint, never overwritten.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import type { PkiBundle } from '../pki/types.js';
import { createEngine, type TemplateSources } from '../render/engine.js';
import { operatorFiles } from '../render/operator-files.js';
import { InternalError, StateError } from '../shared/errors.js';
import { writeDurable, fsyncDir } from './durable-write.js';
import { stateDir } from './paths.js';

/** File name inside the state directory. */
export const ADMIN_KUBECONFIG = 'admin.kubeconfig';
const MARK = '# kubesmith admin kubeconfig sha256:';
const NOTE = '# Written by kubesmith (apply, pki renew); replaced when the admin credential changes. Copy it before editing.\n';

/** What writeAdminKubeconfig did. */
export interface AdminKubeconfigResult {
  readonly path: string;
  readonly action: 'created' | 'updated' | 'unchanged';
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The exact bytes kubesmith writes for `kubeconfig`: the ownership line, a note, the kubeconfig. */
export function markedKubeconfig(kubeconfig: string): string {
  const rest = `${NOTE}${kubeconfig}`;
  return `${MARK}${sha256(rest)}\n${rest}`;
}

/** True when `text` is a file kubesmith wrote and nobody changed since. */
export function isOwnKubeconfig(text: string): boolean {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  return first.startsWith(MARK) && first.slice(MARK.length) === sha256(text.slice(nl + 1));
}


/** What is at `path` now: nothing, a regular file's text, or something else (a link, a directory). */
function current(path: string): { kind: 'none' } | { kind: 'file'; text: string; mode: number } | { kind: 'other'; what: string } {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  if (st.isSymbolicLink()) return { kind: 'other', what: 'a symbolic link' };
  if (!st.isFile()) return { kind: 'other', what: 'not a regular file' };
  return { kind: 'file', text: readFileSync(path, 'utf8'), mode: st.mode & 0o777 };
}

/** Writes `<dir>/admin.kubeconfig` (0600) unless a file kubesmith did not write is there. */
export function writeAdminKubeconfig(dir: string, kubeconfig: string): AdminKubeconfigResult {
  const path = join(dir, ADMIN_KUBECONFIG);
  const content = markedKubeconfig(kubeconfig);
  const now = current(path);
  if (now.kind === 'file' && now.text === content && now.mode === 0o600) return { path, action: 'unchanged' };
  if (now.kind === 'other' || (now.kind === 'file' && now.text !== content && !isOwnKubeconfig(now.text))) {
    const why = now.kind === 'other' ? now.what : 'a file kubesmith did not write, or one edited since';
    throw new StateError(`${path}: ${why}; kubesmith will not overwrite it`, {
      hint: `move it away (e.g. \`mv ${path} ${path}.mine\`) and run the command again to get a fresh admin kubeconfig; the cluster itself is unaffected`,
    });
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.kubesmith-tmp`;
    rmSync(tmp, { force: true });
    writeDurable(tmp, content, 0o600);
    renameSync(tmp, path);
    fsyncDir(dir);
  } catch (err) {
    throw new StateError(`${path}: cannot write the admin kubeconfig (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: 'check free space and permissions of the state directory',
      cause: err,
    });
  }
  return { path, action: now.kind === 'none' ? 'created' : 'updated' };
}

/** Renders admin.kubeconfig from `bundle` (server: the VIP or the first control plane) and writes it into the state directory. */
export function saveAdminKubeconfig(inv: Inventory, bundle: PkiBundle, templates: TemplateSources): AdminKubeconfigResult {
  const file = operatorFiles(inv, bundle, createEngine(templates)).find((f) => f.name === ADMIN_KUBECONFIG);
  if (file === undefined) throw new InternalError(`operatorFiles rendered no ${ADMIN_KUBECONFIG}`);
  return writeAdminKubeconfig(stateDir(inv), file.content);
}

/** The one line a command prints about it, as kubeadm prints how to use admin.conf. */
export function adminKubeconfigLine(r: AdminKubeconfigResult): string {
  return `admin kubeconfig${r.action === 'unchanged' ? '' : ` (${r.action})`}: export KUBECONFIG=${r.path}`;
}
