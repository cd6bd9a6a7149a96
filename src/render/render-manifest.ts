/**
 * The manifest of a render: every planned file's sha256 by host and path. `render` stores it as
 * <state>/last-render.json; `plan` compares the current plan with it (new / changed / unchanged).
 */
import type { Artifact, ClusterPlan } from '../plan/types.js';
import { binaryIdentity } from './binaries.js';
import { sha256Hex } from '../shared/sha256.js';
import type { OperatorFile } from './operator-files.js';

/**
 * host -> path -> sha256, or "bundle:<identity>" for a binary whose bundle was not read: the pinned
 * version and the tarball's published checksum (see binaryIdentity), so an upgrade compares as
 * changed. "_cluster" and "_operator" hold the non-host files.
 */
export interface RenderManifest {
  readonly version: 1;
  readonly hosts: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** How a file compares with the last render. */
export type FileStatus = 'new' | 'changed' | 'unchanged';

/** The manifest of `plan` (and the operator files). Keys are sorted for stable JSON. */
export function manifestOf(plan: ClusterPlan, operator: readonly OperatorFile[] = []): RenderManifest {
  const hosts: Record<string, Record<string, string>> = {};
  for (const h of plan.hosts) {
    hosts[h.host.name] = Object.fromEntries(h.artifacts.map((a) => [a.path, artifactKey(a)]));
  }
  hosts._cluster = Object.fromEntries(plan.manifests.map((m) => [`${m.id}.yaml`, sha256Hex(m.yaml)]));
  if (operator.length > 0) hosts._operator = Object.fromEntries(operator.map((f) => [f.name, sha256Hex(f.content)]));
  return { version: 1, hosts };
}

/** The comparison key of an artifact: its sha256, or its bundle identity while the bundle is unread. */
export function artifactKey(a: Artifact): string {
  if (a.sha256 !== undefined) return a.sha256;
  return typeof a.content === 'string' ? sha256Hex(a.content) : `bundle:${binaryIdentity(a.content)}`;
}

/** Status of one file against a previous manifest (no previous manifest: everything is new). */
export function fileStatus(previous: RenderManifest | undefined, host: string, a: Artifact): FileStatus {
  const prev = previous?.hosts[host];
  if (!prev || !(a.path in prev)) return 'new';
  return prev[a.path] === artifactKey(a) ? 'unchanged' : 'changed';
}

/** Files in `previous` that the new plan no longer has, as "host:path". */
export function removedFiles(previous: RenderManifest | undefined, next: RenderManifest): readonly string[] {
  if (!previous) return [];
  const out: string[] = [];
  for (const [host, files] of Object.entries(previous.hosts)) {
    for (const path of Object.keys(files)) if (!(path in (next.hosts[host] ?? {}))) out.push(`${host}:${path}`);
  }
  return out.sort();
}

/** Parses last-render.json; undefined when it is not a manifest (then everything shows as new). */
export function parseManifest(text: string): RenderManifest | undefined {
  try {
    const j = JSON.parse(text) as { version?: unknown; hosts?: unknown };
    return j.version === 1 && typeof j.hosts === 'object' && j.hosts !== null ? (j as RenderManifest) : undefined;
  } catch {
    return undefined;
  }
}
