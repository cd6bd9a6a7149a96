/**
 * buildPlan: inventory + PKI bundle + templates -> ClusterPlan. Pure: every byte that will land on
 * a host is computed here, so `render`, `plan`, `apply --dry-run` and `apply` all see the same files.
 */
import { effectiveContainerdVersion } from '../inventory/component-versions.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { pkiFilesForHost } from '../pki/install.js';
import type { PkiBundle, PkiDecision, PkiFile } from '../pki/types.js';
import { publishedTarball, type BundleListing, type ResolvedBinaries } from '../render/binaries.js';
import { memoSha256 } from '../render/artifact.js';
import { clusterManifests } from '../render/cluster-manifests.js';
import { createEngine, type TemplateEngine, type TemplateSources } from '../render/engine.js';
import { planHost } from '../render/host-files.js';
import { remoteLayout } from '../render/layout.js';
import type { RenderContext } from '../render/render-context.js';
import { InternalError } from '../shared/errors.js';
import { parseVersion, type Version } from '../shared/semver.js';
import type { Artifact, ClusterPlan, PlannedHost } from './types.js';

/** Inputs of buildPlan, all already loaded (src/state does the reading). */
export interface PlanInput {
  readonly inventory: Inventory;
  readonly pki: PkiBundle;
  readonly pkiDecisions: readonly PkiDecision[];
  readonly templates: TemplateSources;
  /** Bundle binaries resolved on disk (apply); absent for render/plan, leaving binary sha256 undefined. */
  readonly binaries?: ResolvedBinaries;
  /** The bundle's file names and published checksums (plan, render): they identify binaries not yet hashed. */
  readonly bundle?: BundleListing;
  /** Credential install list; defaults to the CA's pkiFilesForHost (tests may pass a fixture's). */
  readonly pkiFiles?: (inv: Inventory, bundle: PkiBundle, host: InventoryHost) => readonly PkiFile[];
  /** A prebuilt engine (to share compiled templates across plans); defaults to one over `templates`. */
  readonly engine?: TemplateEngine;
}

/** The whole plan. Throws TemplateError / PkiError / InternalError; never performs I/O. */
export function buildPlan(input: PlanInput): ClusterPlan {
  const inv = input.inventory;
  const engine = input.engine ?? createEngine(input.templates);
  const layout = remoteLayout(inv);
  const ctx: RenderContext = {
    inv,
    layout,
    engine,
    bundle: input.pki,
    k8s: version(inv.cluster.kubernetesVersion, 'cluster.kubernetesVersion'),
    etcd: version(inv.cluster.etcdVersion, 'cluster.etcdVersion'),
    // The bundle's containerd tarball names the release when the inventory pins none; apply passes
    // the listing too, so every command writes the config for the same containerd.
    containerd: effectiveContainerdVersion(inv.containerd.version, input.bundle?.files),
    binaries: input.binaries,
    pkiFiles: input.pkiFiles ?? pkiFilesForHost,
    sha256: memoSha256(),
  };
  const hosts = inv.hosts.map((h) => withTarballs(planHost(ctx, h), input.bundle));
  for (const h of hosts) assertUniquePaths(h.host.name, h.artifacts.map((a) => a.path));
  return {
    inventory: inv,
    pki: input.pki,
    pkiDecisions: input.pkiDecisions,
    bootstrapToken: input.pki.bootstrapToken,
    hosts,
    manifests: clusterManifests(inv, layout, engine, input.pki.bootstrapToken),
  };
}

function version(text: string, field: string): Version {
  const v = parseVersion(text);
  if (!v) throw new InternalError(`${field} "${text}" is not a version (validation should have caught this)`);
  return v;
}

/** Records on each unhashed binary which bundle file it comes from and that file's published checksum. */
function withTarballs(host: PlannedHost, bundle: BundleListing | undefined): PlannedHost {
  if (bundle === undefined) return host;
  const mark = (a: Artifact): Artifact => {
    if (typeof a.content === 'string' || a.sha256 !== undefined) return a;
    const tarball = publishedTarball(a.content.bundleFile, bundle);
    return tarball ? { ...a, content: { ...a.content, tarball } } : a;
  };
  return { ...host, artifacts: host.artifacts.map(mark) };
}

/** Two roles writing the same path would make the result depend on order: a bug, caught here. */
function assertUniquePaths(host: string, paths: readonly string[]): void {
  const seen = new Set<string>();
  for (const p of paths) {
    if (seen.has(p)) throw new InternalError(`${host}: two artifacts target ${p}`);
    seen.add(p);
  }
}
