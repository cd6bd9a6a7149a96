/** Small ClusterPlan values for deployer unit tests (no PKI or renderer involved). */
import { createHash } from 'node:crypto';
import type { Artifact, ClusterPlan, PlannedHost } from '../../src/plan/types.js';
import type { PkiBundle } from '../../src/pki/types.js';
import { exampleInventory } from '../support/inventory-builder.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A text artifact with sensible defaults. */
export function anArtifact(host: string, path: string, content: string, over: Partial<Artifact> = {}): Artifact {
  return {
    id: `${path}@${host}`,
    host,
    kind: path.endsWith('.service') ? 'unit' : 'config',
    phase: 'etcd',
    path,
    content,
    sha256: sha(content),
    mode: 0o644,
    owner: 'root:root',
    secret: false,
    restarts: [],
    ...over,
  };
}

/** A plan over the example inventory's hosts, with the given artifacts per host. */
export function aPlan(artifacts: Readonly<Record<string, readonly Artifact[]>> = {}, units: readonly string[] = []): ClusterPlan {
  const inventory = exampleInventory();
  const hosts: PlannedHost[] = inventory.hosts.map((host) => ({ host, artifacts: artifacts[host.name] ?? [], units }));
  const token = { id: 'abcdef', secret: '0123456789abcdef', expires: new Date(0) };
  // The deployer never reads PKI material (it ships the renderer's artifacts), so an empty bundle
  // is enough here; cast so CA-side additions to PkiBundle do not ripple into these tests.
  const pki = { algorithm: 'rsa-2048', certs: new Map(), serviceAccount: { publicPem: '', privatePem: '' }, bootstrapToken: token } as unknown as PkiBundle;
  return { inventory, pki, pkiDecisions: [], bootstrapToken: token, hosts, manifests: [] };
}

/** A clock that advances 1 ms per call, so durations are deterministic. */
export function tickingClock(): { now(): Date } {
  let t = 1_700_000_000_000;
  return { now: () => new Date((t += 1)) };
}
