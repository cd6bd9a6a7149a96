/**
 * The data `kubesmith plan` shows (and `--json` prints): phases, certificate decisions, files per
 * host with their status against the last render, notices. Pure.
 */
import { APPLY_PROGRAM } from '../deploy/phases/index.js';
import { aroundWaves, describeRolloutPolicy } from '../deploy/rollout-plan.js';
import type { Orphan } from '../pki/orphans.js';
import type { PkiDecision } from '../pki/types.js';
import { fileStatus, removedFiles, type FileStatus, type RenderManifest } from '../render/render-manifest.js';
import { manifestOf } from '../render/render-manifest.js';
import type { BinarySource, ClusterPlan } from './types.js';

/** One planned file as shown to a reviewer (no content: secrets are never printed). */
export interface PlanFileView {
  readonly path: string;
  readonly kind: string;
  readonly phase: string;
  readonly mode: string;
  readonly size: number | undefined;
  readonly sha256: string | undefined;
  readonly secret: boolean;
  readonly restarts: readonly string[];
  /** Units that take a change of this file with `systemctl reload` (the nginx API proxies). */
  readonly reloads?: readonly string[];
  readonly status: FileStatus;
  /**
   * Binaries: "<bundle file>:<member> (<version>, <published checksum>)", what identifies the binary
   * until the bundle is read, e.g. "kubernetes-server-linux-amd64.tar.gz:kubernetes/server/bin/kubelet (v1.31.2)".
   */
  readonly source?: string;
}

/** Everything `plan` reports. */
export interface PlanView {
  readonly cluster: { readonly name: string; readonly kubernetesVersion: string; readonly etcdVersion: string; readonly apiHa: string };
  readonly phases: readonly { readonly id: string; readonly title: string; readonly hosts: number; readonly files: number }[];
  /**
   * How each phase restarts its running services when their inputs change (a renewed certificate):
   * "etcd: rolling restart m1 -> m2 -> m3, each gated by ...". A first installation starts them all at once.
   */
  readonly restarts: readonly string[];
  readonly certificates: readonly PkiDecision[];
  readonly hosts: readonly { readonly name: string; readonly roles: readonly string[]; readonly units: readonly string[]; readonly files: readonly PlanFileView[] }[];
  readonly clusterManifests: readonly { readonly id: string; readonly secret: boolean; readonly size: number }[];
  readonly removed: readonly string[];
  readonly comparedWith: 'last-render' | 'nothing';
  readonly notices: readonly string[];
  /** Certificates and keys in the PKI state the inventory no longer needs (`kubesmith pki prune` archives them). */
  readonly orphans: readonly Orphan[];
}

/** Builds the view; `previous` is the last render's manifest, if any; `orphans` what the PKI state holds beyond the plan. */
export function planView(plan: ClusterPlan, previous: RenderManifest | undefined, notices: readonly string[], orphans: readonly Orphan[] = []): PlanView {
  const inv = plan.inventory;
  const all = plan.hosts.flatMap((h) => h.artifacts);
  return {
    cluster: { name: inv.cluster.name, kubernetesVersion: inv.cluster.kubernetesVersion, etcdVersion: inv.cluster.etcdVersion, apiHa: inv.cluster.apiServer.ha },
    phases: APPLY_PROGRAM.map((p) => ({ id: p.id, title: p.title, hosts: p.hosts(plan).length, files: all.filter((a) => a.phase === p.id).length })),
    restarts: APPLY_PROGRAM.flatMap((p) => {
      const hosts = p.hosts(plan);
      return p.rolling && hosts.length > 0 ? [describeRolloutPolicy(p.id, p.rolling.tiers(plan, hosts), p.rolling.gate, aroundWaves(p.rolling, plan))] : [];
    }),
    certificates: plan.pkiDecisions,
    hosts: plan.hosts.map((h) => ({
      name: h.host.name,
      roles: h.host.roles,
      units: h.units,
      files: h.artifacts.map((a) => {
        const c = a.content;
        return {
          path: a.path,
          kind: a.kind,
          phase: a.phase,
          mode: `0${a.mode.toString(8)}`,
          size: typeof c === 'string' ? Buffer.byteLength(c) : c.size,
          sha256: a.sha256,
          secret: a.secret,
          restarts: a.restarts,
          ...(a.reloads ? { reloads: a.reloads } : {}),
          status: fileStatus(previous, h.host.name, a),
          ...(typeof c === 'string' ? {} : { source: sourceOf(c) }),
        };
      }),
    })),
    clusterManifests: plan.manifests.map((m) => ({ id: m.id, secret: m.secret, size: Buffer.byteLength(m.yaml) })),
    removed: removedFiles(previous, manifestOf(plan)).filter((f) => !f.startsWith('_operator:')),
    comparedWith: previous ? 'last-render' : 'nothing',
    notices,
    orphans,
  };
}

/** Where a binary comes from and what identifies it, short enough for a table (digest cut to 12 hex digits). */
function sourceOf(s: BinarySource): string {
  const ids = [s.version, s.tarball ? s.tarball.digest.replace(/^(\w+:[0-9a-f]{12}).*$/, '$1') : undefined].filter((x) => x !== undefined);
  return `${s.tarball?.file ?? s.bundleFile}:${s.member}${ids.length ? ` (${ids.join(', ')})` : ''}`;
}
