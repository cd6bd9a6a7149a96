/**
 * What the offline bundle must hold for an inventory (pure): every release artifact the hosts'
 * binaries and image imports come from, with the checksum file upstream publishes beside it.
 * Derived from the same functions the renderer uses (binariesForHost, imageImportSteps), so
 * `bundle check` cannot disagree with what `apply` will ask the bundle for.
 */
import type { Inventory } from '../inventory/types.js';
import { imageImportSteps } from '../kube/addons.js';
import { binariesForHost } from '../render/binaries.js';
import { remoteLayout } from '../render/layout.js';

/** The release an artifact belongs to. */
export type BundleComponent = 'kubernetes' | 'etcd' | 'containerd' | 'runc' | 'cni-plugins' | 'image';

/** One file the bundle must hold. */
export interface ExpectedBundleFile {
  readonly component: BundleComponent;
  /** The renderer's name for it; "*" where the inventory pins no version (one file must match). */
  readonly pattern: string;
  /** The version the inventory pins (kubernetes, etcd), when it pins one. */
  readonly version?: string;
  /** The checksum file(s) the project publishes for it, "<file>" standing for the resolved name. */
  readonly checksumFiles: readonly string[];
  /** Tar members (or the file itself) the hosts receive from it. */
  readonly members: readonly string[];
  /** Hosts that receive something from it. */
  readonly hosts: readonly string[];
  /** For image tarballs: the image reference containerd imports it as. */
  readonly image?: string;
}

/**
 * Checksum files as each project publishes them:
 * - etcd: one SHA256SUMS per release (https://github.com/etcd-io/etcd/releases)
 * - Kubernetes: `<file>.sha256` and `<file>.sha512`, bare digests, on dl.k8s.io
 *   (https://kubernetes.io/releases/download/#binaries)
 * - containerd: `<file>.sha256sum` per tarball (https://github.com/containerd/containerd/releases)
 * - runc: one `runc.sha256sum` for every architecture (https://github.com/opencontainers/runc/releases)
 * - CNI plugins: `<file>.sha256` and `<file>.sha512` (https://github.com/containernetworking/plugins/releases)
 * - images: not release artifacts; `ctr images export` output listed in SHA256SUMS (README, "The offline bundle").
 */
export const CHECKSUM_FILES: Readonly<Record<BundleComponent, readonly string[]>> = {
  kubernetes: ['<file>.sha512', '<file>.sha256'],
  etcd: ['SHA256SUMS'],
  containerd: ['<file>.sha256sum'],
  runc: ['runc.sha256sum'],
  'cni-plugins': ['<file>.sha256', '<file>.sha512'],
  image: ['SHA256SUMS'],
};

/** Which component a renderer bundle file name belongs to. */
export function componentOf(bundleFile: string, imageFiles: ReadonlySet<string>): BundleComponent {
  if (imageFiles.has(bundleFile)) return 'image';
  if (bundleFile.startsWith('kubernetes-')) return 'kubernetes';
  if (bundleFile.startsWith('etcd-')) return 'etcd';
  if (bundleFile.startsWith('containerd-')) return 'containerd';
  if (bundleFile.startsWith('runc')) return 'runc';
  return 'cni-plugins';
}

/**
 * A pattern matching any release of the same artifact ("etcd-v3.6.11-linux-amd64.tar.gz" ->
 * "etcd-v*-linux-amd64.tar.gz"), to name the version a bundle holds instead of the one wanted.
 */
export function anyVersionPattern(e: Pick<ExpectedBundleFile, 'component' | 'pattern'>): string | undefined {
  if (e.component === 'etcd') return 'etcd-v*-linux-amd64.tar.gz';
  return e.pattern.includes('*') ? e.pattern : undefined;
}

/** The checksum file names for a resolved bundle file. */
export function checksumNamesFor(e: Pick<ExpectedBundleFile, 'checksumFiles'>, file: string): readonly string[] {
  return e.checksumFiles.map((c) => c.replace('<file>', file));
}

/** Every file the inventory's hosts need from the bundle, in a stable order (binaries, then images). */
export function expectedBundleFiles(inv: Inventory): readonly ExpectedBundleFile[] {
  const layout = remoteLayout(inv);
  const imageFiles = new Map<string, string>();
  const byFile = new Map<string, { version?: string; members: Set<string>; hosts: Set<string> }>();
  const add = (file: string, member: string, host: string, version?: string): void => {
    const entry = byFile.get(file) ?? { ...(version === undefined ? {} : { version }), members: new Set<string>(), hosts: new Set<string>() };
    entry.members.add(member);
    entry.hosts.add(host);
    byFile.set(file, entry);
  };
  for (const host of inv.hosts) {
    for (const b of binariesForHost(inv, host, layout)) add(b.source.bundleFile, b.source.member, host.name, b.source.version);
  }
  for (const host of inv.hosts) {
    for (const s of imageImportSteps({ inventory: inv }, host)) {
      imageFiles.set(s.source.bundleFile, s.image);
      add(s.source.bundleFile, s.source.member, host.name);
    }
  }
  const images = new Set(imageFiles.keys());
  return [...byFile].map(([pattern, e]) => {
    const component = componentOf(pattern, images);
    const image = imageFiles.get(pattern);
    return {
      component,
      pattern,
      ...(e.version === undefined ? {} : { version: e.version }),
      checksumFiles: CHECKSUM_FILES[component],
      members: [...e.members],
      hosts: [...e.hosts],
      ...(image === undefined ? {} : { image }),
    };
  });
}
