/**
 * The plan with the bundle's binaries resolved (apply, once the bundle is read). apply planned
 * twice: a draft without binaries (to check the selection and learn which bundle files are needed
 * before reading the bundle), then the whole plan again with them; the second rendering doubled
 * the plan's CPU time and, both plans alive, its memory (for 5,000 hosts about 3.5 s and 200 MB).
 * Only binary artifacts depend on the resolved bundle, so they alone are made again here; the
 * result equals buildPlan with the same binaries (test/plan/with-binaries.test.ts).
 */
import { binaryArtifact } from '../render/artifact.js';
import type { ResolvedBinaries } from '../render/binaries.js';
import { binaryKey } from '../render/binaries.js';
import type { Artifact, ClusterPlan } from './types.js';

/** `plan` (built without binaries) with every binary the bundle resolved hashed and streamable. */
export function withBinaries(plan: ClusterPlan, binaries: ResolvedBinaries): ClusterPlan {
  const resolve = (a: Artifact): Artifact => {
    if (typeof a.content === 'string' || !binaries.has(binaryKey(a.content))) return a;
    // buildPlan marks unhashed binaries with their tarball; a resolved one carries no mark.
    const { tarball: _mark, ...source } = a.content;
    return { ...binaryArtifact({ host: a.host, phase: a.phase, path: a.path, restarts: a.restarts }, source, binaries), mode: a.mode };
  };
  return { ...plan, hosts: plan.hosts.map((h) => ({ ...h, artifacts: h.artifacts.map(resolve) })) };
}
