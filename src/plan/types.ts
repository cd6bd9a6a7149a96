/** The plan: everything kubesmith intends to be true on every host, computed by pure code. */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { BootstrapToken, PkiBundle, PkiDecision } from '../pki/types.js';

export type ArtifactKind = 'unit' | 'config' | 'kubeconfig' | 'cert' | 'key' | 'binary' | 'manifest';

/** A binary from the offline bundle: which tarball, which member, and (once the bundle is read) its sha256. */
export interface BinarySource {
  readonly bundleFile: string; // "kubernetes-server-linux-amd64.tar.gz"
  readonly member: string; // "kubernetes/server/bin/kube-apiserver"
  /** Local extracted file to stream from; set when the bundle was resolved (apply), absent for render. */
  readonly localFile?: string;
  readonly size?: number;
  /** The release version the inventory pins for this file (kubernetesVersion, etcdVersion); absent when unpinned. */
  readonly version?: string;
  /** The bundle file matching `bundleFile` and its published checksum, when the bundle holds one (plan, render). */
  readonly tarball?: { readonly file: string; readonly digest: string };
}

/** A file we intend to exist on a host. Compared by sha256, mode and owner at apply time. */
export interface Artifact {
  /** Stable id used in logs and diffs: "<path>@<host>". */
  readonly id: string;
  readonly host: string;
  readonly kind: ArtifactKind;
  /** The deploy phase that ships it ("install-etcd", "distribute-pki", ...). */
  readonly phase: string;
  /** Absolute remote path. */
  readonly path: string;
  /** Rendered UTF-8 text, or a binary streamed from the bundle at apply time. */
  readonly content: string | BinarySource;
  /** Hex sha256 of the content; undefined only for a binary whose bundle was not read. */
  readonly sha256: string | undefined;
  /** 0o600 keys and kubeconfigs, 0o644 certs/units/configs, 0o755 binaries. */
  readonly mode: number;
  /** @default "root:root" */
  readonly owner: string;
  /** Never printed or logged; shown as "<secret N bytes>". */
  readonly secret: boolean;
  /** systemd units to restart when this file changed. */
  readonly restarts: readonly string[];
  /**
   * systemd units that take a change of this file with `systemctl reload` (no restart): the nginx
   * API proxies, whose restart would drop every connection through them while a reload keeps the
   * established ones on the old workers. A restart pending for the same unit wins.
   */
  readonly reloads?: readonly string[];
}

export interface PlannedHost {
  readonly host: InventoryHost;
  readonly artifacts: readonly Artifact[];
  /** systemd units this host runs, in start order ("etcd.service", ...). */
  readonly units: readonly string[];
}

/** Cluster-scoped Kubernetes objects applied through the API (bootstrap RBAC, token Secret, CNI, DNS). */
export interface ClusterManifest {
  readonly id: string; // "bootstrap-rbac", "bootstrap-token-secret", "flannel", "coredns"
  readonly yaml: string;
  readonly secret: boolean;
}

export interface ClusterPlan {
  readonly inventory: Inventory;
  readonly pki: PkiBundle;
  readonly pkiDecisions: readonly PkiDecision[];
  readonly bootstrapToken: BootstrapToken;
  readonly hosts: readonly PlannedHost[];
  readonly manifests: readonly ClusterManifest[];
}
