/**
 * A read-only look at the PKI state directory for `pki check`. Unlike loadPkiState (pki-store.ts),
 * which refuses bad permissions and finishes an interrupted save before anything uses the state,
 * this never writes and never throws on one bad file: each problem is recorded so the report can
 * show it on the row it belongs to, and the rest of the report still prints.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDENTITY_FILE } from '../pki/identity.js';
import { ROTATION_FILE } from '../pki/rotation-record.js';
import { STATE_FILES, type PkiState, type StoredPair } from '../pki/state-types.js';
import { StateError } from '../shared/errors.js';

/** The state as read, the files that could not be read (name -> reason), and directory-level problems. */
export interface InspectedPkiState {
  readonly state: PkiState;
  readonly fails: ReadonlyMap<string, string>;
  /** Problems that belong to no single row (permissions, an interrupted save). */
  readonly notes: readonly string[];
}

const octal = (m: number): string => `0${(m & 0o777).toString(8)}`;
const isPrivate = (name: string): boolean => name.endsWith('.key') || name === STATE_FILES.token || name === ROTATION_FILE;

/** Reads `dir` without changing anything in it. A missing dir is an empty state. */
export function inspectPkiState(dir: string): InspectedPkiState {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: { dir, pairs: new Map(), serviceAccount: {} }, fails: new Map(), notes: [] };
    throw new StateError(`${dir}: cannot read the PKI state directory (${code})`, { hint: code === 'EACCES' ? 'run as the user who owns the state directory' : 'check the path', cause: err });
  }
  const notes: string[] = [];
  const dirMode = lstatSync(dir).mode;
  if ((dirMode & 0o077) !== 0) notes.push(`${dir}: the state directory is readable by group or others (mode ${octal(dirMode)}); run \`chmod 700 ${dir}\``);
  if (names.some((n) => n === '.commit' || n.endsWith('.pending'))) {
    notes.push(`${dir}: an interrupted save is pending; the next \`kubesmith pki generate\` finishes or discards it (pki check shows the files as they are)`);
  }
  const fails = new Map<string, string>();
  const read = (name: string): string | undefined => {
    if (!names.includes(name)) return undefined;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isFile()) {
        fails.set(name, st.isSymbolicLink() ? 'a symbolic link, not a file' : 'not a regular file');
        return undefined;
      }
      if (isPrivate(name) && (st.mode & 0o077) !== 0) notes.push(`${path}: private file readable by group or others (mode ${octal(st.mode)}); run \`chmod 600 ${path}\``);
      return readFileSync(path, 'utf8');
    } catch (err) {
      fails.set(name, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
      return undefined;
    }
  };
  const pairs = new Map<string, StoredPair>();
  for (const name of names) {
    const m = /^(.+)\.(crt|key)$/.exec(name);
    if (!m || name === STATE_FILES.saKey) continue;
    const id = m[1] as string;
    const prev = pairs.get(id) ?? {};
    const content = read(name);
    if (content === undefined) {
      pairs.set(id, prev);
      continue;
    }
    pairs.set(id, m[2] === 'crt' ? { ...prev, certPem: content } : { ...prev, keyPem: content });
  }
  const privatePem = read(STATE_FILES.saKey);
  const publicPem = read(STATE_FILES.saPub);
  const rotation = read(ROTATION_FILE);
  const identity = read(IDENTITY_FILE);
  const state: PkiState = {
    dir,
    pairs,
    serviceAccount: { ...(privatePem !== undefined ? { privatePem } : {}), ...(publicPem !== undefined ? { publicPem } : {}) },
    ...(rotation !== undefined ? { rotationJson: rotation } : {}),
    ...(identity !== undefined ? { identityJson: identity } : {}),
  };
  return { state, fails, notes };
}
