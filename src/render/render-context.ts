/** Shared shapes of the per-host renderers (kept apart from host-files.ts to avoid import cycles). */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { PkiBundle, PkiFile } from '../pki/types.js';
import type { BinarySource } from '../plan/types.js';
import type { Version } from '../shared/semver.js';
import type { ArtifactSpec } from './artifact.js';
import type { ResolvedBinaries } from './binaries.js';
import type { TemplateEngine } from './engine.js';
import type { RemoteLayout } from './layout.js';

/** Everything a host renderer needs; built once per plan. */
export interface RenderContext {
  readonly inv: Inventory;
  readonly layout: RemoteLayout;
  readonly engine: TemplateEngine;
  readonly bundle: PkiBundle;
  readonly k8s: Version;
  readonly etcd: Version;
  /** The containerd release the node config is written for (effectiveContainerdVersion). */
  readonly containerd: Version;
  readonly binaries: ResolvedBinaries | undefined;
  readonly pkiFiles: (inv: Inventory, bundle: PkiBundle, host: InventoryHost) => readonly PkiFile[];
  /** sha256 of text (memoized per plan). */
  readonly sha256: (content: string) => string;
}

/** A rendered text file before it becomes an Artifact (host and kind filled in by the caller). */
export interface TextFile {
  readonly path: string;
  readonly kind: ArtifactSpec['kind'];
  readonly phase: string;
  readonly template: string;
  readonly view: object;
  readonly secret: boolean;
  readonly restarts: readonly string[];
  /** Units that take a change of this file with `systemctl reload` instead (Artifact.reloads). */
  readonly reloads?: readonly string[];
}

/** A whole file copied from the bundle as data, not run (a container image tarball, mode 0644). */
export interface DataFile {
  readonly source: BinarySource;
  readonly path: string;
  readonly phase: string;
}

/** What one role contributes to a host. */
export interface RoleFiles {
  readonly files: readonly TextFile[];
  /** Bundle files copied as data (node roles: the image tarballs containerd imports). */
  readonly data?: readonly DataFile[];
}
