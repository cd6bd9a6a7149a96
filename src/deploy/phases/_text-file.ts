/** Artifacts that phases themselves own (host settings), built like the renderer's text files. */
import type { Artifact } from '../../plan/types.js';
import { sha256Hex } from '../../shared/sha256.js';

/** A 0644 root-owned config file shipped by prepare-hosts. */
export function textFile(host: string, path: string, content: string): Artifact {
  return { id: `${path}@${host}`, host, kind: 'config', phase: 'prepare-hosts', path, content, sha256: sha256Hex(content), mode: 0o644, owner: 'root:root', secret: false, restarts: [] };
}
