/**
 * Between the bundle and the plan (pure): which bundle members a plan needs, and the plan with
 * every binary artifact resolved to its extracted local file, size and sha256.
 */
import type { Artifact, ClusterPlan } from '../plan/types.js';
import { BundleError } from '../shared/errors.js';
import type { BundleBinary, BundleNeed } from './bundle.js';

/** Unique (bundleFile, member) pairs the plan's binary artifacts reference. */
export function bundleNeeds(plan: ClusterPlan): readonly BundleNeed[] {
  const seen = new Map<string, BundleNeed>();
  for (const h of plan.hosts) {
    for (const a of h.artifacts) {
      if (typeof a.content !== 'string') seen.set(`${a.content.bundleFile}#${a.content.member}`, { bundleFile: a.content.bundleFile, member: a.content.member });
    }
  }
  return [...seen.values()];
}

/** The plan with localFile/size/sha256 filled in for every binary artifact. */
export function resolvePlanBinaries(plan: ClusterPlan, binaries: ReadonlyMap<string, BundleBinary>): ClusterPlan {
  const resolve = (a: Artifact): Artifact => {
    if (typeof a.content === 'string') return a;
    const key = `${a.content.bundleFile}#${a.content.member}`;
    const b = binaries.get(key);
    if (!b) throw new BundleError(`${a.content.bundleFile}: ${a.content.member} was not resolved`, { hint: 'this is a bundle/plan mismatch; run `kubesmith plan` to see what the plan expects' });
    return { ...a, content: { bundleFile: a.content.bundleFile, member: a.content.member, localFile: b.localFile, size: b.size }, sha256: b.sha256 };
  };
  return { ...plan, hosts: plan.hosts.map((h) => ({ ...h, artifacts: h.artifacts.map(resolve) })) };
}
