/** Builds Artifact values: ids, sha256 of rendered text, modes. */
import type { Artifact, ArtifactKind, BinarySource } from '../plan/types.js';
import { sha256Hex } from '../shared/sha256.js';
import { binaryKey, type ResolvedBinaries } from './binaries.js';

/** Modes: secrets 0600, everything else readable, executables 0755. */
export const MODE = { secret: 0o600, file: 0o644, exec: 0o755 } as const;

/** Everything but the content-derived fields. */
export interface ArtifactSpec {
  readonly host: string;
  readonly kind: ArtifactKind;
  readonly phase: string;
  readonly path: string;
  readonly secret: boolean;
  readonly restarts: readonly string[];
  /** Units that take a change of this file with a reload (Artifact.reloads). */
  readonly reloads?: readonly string[];
  readonly mode?: number;
}

/** sha256 of text, remembered per plan: identical files (common across workers) are hashed once. */
export function memoSha256(): (content: string) => string {
  const seen = new Map<string, string>();
  return (content) => {
    let h = seen.get(content);
    if (h === undefined) {
      h = sha256Hex(content);
      seen.set(content, h);
    }
    return h;
  };
}

/** A rendered text file. */
export function textArtifact(spec: ArtifactSpec, content: string, hash: (content: string) => string = sha256Hex): Artifact {
  return {
    id: `${spec.path}@${spec.host}`,
    host: spec.host,
    kind: spec.kind,
    phase: spec.phase,
    path: spec.path,
    content,
    sha256: hash(content),
    mode: spec.mode ?? (spec.secret ? MODE.secret : MODE.file),
    owner: 'root:root',
    secret: spec.secret,
    restarts: [...spec.restarts].sort(),
    ...(spec.reloads && spec.reloads.length > 0 ? { reloads: [...spec.reloads].sort() } : {}),
  };
}

/** A binary from the bundle; its sha256 is known only once the bundle was read. */
export function binaryArtifact(spec: Omit<ArtifactSpec, 'kind' | 'secret'>, source: BinarySource, resolved: ResolvedBinaries | undefined): Artifact {
  const r = resolved?.get(binaryKey(source));
  return {
    id: `${spec.path}@${spec.host}`,
    host: spec.host,
    kind: 'binary',
    phase: spec.phase,
    path: spec.path,
    content: r ? { ...source, localFile: r.localFile, size: r.size } : source,
    sha256: r?.sha256,
    mode: MODE.exec,
    owner: 'root:root',
    secret: false,
    restarts: [...spec.restarts],
  };
}
