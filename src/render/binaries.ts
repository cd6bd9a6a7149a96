/**
 * Which release binary each role needs, where it comes from in the offline bundle, and where it
 * goes on the host. Tarball names are upstream's release artifact names. Components whose version
 * the inventory does not pin (containerd, runc, CNI plugins) name their tarball with a "*" that the
 * bundle reader resolves to exactly one file.
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { BinarySource } from '../plan/types.js';
import { parseVersion } from '../shared/semver.js';
import { appliesTo, ETCD_RULES } from './flags-by-version.js';
import type { RemoteLayout } from './layout.js';

/** A bundle binary resolved on the operator machine (apply): where it is and its sha256. */
export interface ResolvedBinary {
  readonly localFile: string;
  readonly size: number;
  readonly sha256: string;
}

/** Resolved binaries by `binaryKey(source)`; absent entries render with sha256 undefined. */
export type ResolvedBinaries = ReadonlyMap<string, ResolvedBinary>;

/** One binary a host receives. */
export interface BinaryInstall {
  readonly source: BinarySource;
  readonly path: string;
  /** The unit that runs it (restarted when the binary changes); none for CLIs. */
  readonly restarts: readonly string[];
}

/** Stable key of a bundle member: "<bundleFile>#<member>". */
export function binaryKey(s: Pick<BinarySource, 'bundleFile' | 'member'>): string {
  return `${s.bundleFile}#${s.member}`;
}

/**
 * What the bundle directory tells about its files without hashing them (plan and render must stay
 * fast): every file name, and the digest upstream's checksum files publish for it ("sha256:<hex>").
 */
export interface BundleListing {
  readonly files: readonly string[];
  readonly digests: ReadonlyMap<string, string>;
}

/**
 * The bundle file a renderer pattern names and its published digest, when exactly one file
 * matches and a checksum file covers it; otherwise undefined (apply then fails with the reason).
 */
export function publishedTarball(pattern: string, listing: BundleListing): { file: string; digest: string } | undefined {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  const found = listing.files.filter((f) => re.test(f) && listing.digests.has(f));
  const file = found.length === 1 ? found[0] : undefined;
  const digest = file === undefined ? undefined : listing.digests.get(file);
  return file !== undefined && digest !== undefined ? { file, digest } : undefined;
}

/**
 * The identity of a binary whose own sha256 is not known yet (plan, render): the version the
 * inventory pins and the tarball's published checksum when the bundle has one, else the tarball
 * name. The kubernetes-server tarball's name carries no version, so without the version an upgrade
 * would compare equal and show its binaries as unchanged (#13).
 */
export function binaryIdentity(s: BinarySource): string {
  const version = s.version === undefined ? '' : `${s.version}/`;
  const file = s.tarball === undefined ? s.bundleFile : `${s.tarball.file}@${s.tarball.digest}`;
  return `${version}${file}#${s.member}`;
}

const K8S_TARBALL = 'kubernetes-server-linux-amd64.tar.gz';
const CONTAINERD_TARBALL = 'containerd-*-linux-amd64.tar.gz';
const CNI_TARBALL = 'cni-plugins-linux-amd64-*.tgz';
/** runc ships as a bare executable; member equal to bundleFile means "the file itself". */
const RUNC_FILE = 'runc.amd64';
/** etcd's release directory and tarball stem for a version ("v3.6.11"). */
const etcdRelease = (version: string): string => `etcd-${version}-linux-amd64`;

/**
 * The release files the hosts' binaries come from, named as upstream publishes them ("*": any
 * version, one file must match; the etcd name carries the inventory's etcdVersion). For
 * `version --json`, so an operator can fetch them before knowing the inventory.
 */
export const RELEASE_FILES = {
  kubernetes: K8S_TARBALL,
  etcd: `${etcdRelease('<etcdVersion>')}.tar.gz`,
  containerd: CONTAINERD_TARBALL,
  runc: RUNC_FILE,
  'cni-plugins': CNI_TARBALL,
} as const;
/** The CNI plugins flannel's delegate chain and containerd's CRI use (flannel's own plugin comes from its DaemonSet). */
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const;

/** Binaries `host` needs for its roles, in a stable order. */
export function binariesForHost(inv: Inventory, host: InventoryHost, layout: RemoteLayout): readonly BinaryInstall[] {
  const out: BinaryInstall[] = [];
  const roles = new Set(host.roles);
  const version = inv.cluster.kubernetesVersion;
  const k8s = (name: string, unit?: string): void =>
    void out.push({ source: { bundleFile: K8S_TARBALL, member: `kubernetes/server/bin/${name}`, version }, path: `${layout.k8sBin}/${name}`, restarts: unit ? [unit] : [] });
  if (roles.has('etcd')) {
    const v = inv.cluster.etcdVersion;
    const dir = etcdRelease(v);
    out.push({ source: { bundleFile: `${dir}.tar.gz`, member: `${dir}/etcd`, version: v }, path: `${layout.etcdBin}/etcd`, restarts: ['etcd.service'] });
    out.push({ source: { bundleFile: `${dir}.tar.gz`, member: `${dir}/etcdctl`, version: v }, path: `${layout.etcdBin}/etcdctl`, restarts: [] });
    // etcdutl: snapshot status/restore left etcdctl in 3.6 (flags-by-version.ts ETCD_RULES.etcdutlInRelease).
    const parsed = parseVersion(v);
    if (parsed && appliesTo(ETCD_RULES.etcdutlInRelease, parsed)) {
      out.push({ source: { bundleFile: `${dir}.tar.gz`, member: `${dir}/etcdutl`, version: v }, path: `${layout.etcdBin}/etcdutl`, restarts: [] });
    }
  }
  if (roles.has('control-plane')) {
    k8s('kube-apiserver', 'kube-apiserver.service');
    k8s('kube-controller-manager', 'kube-controller-manager.service');
    k8s('kube-scheduler', 'kube-scheduler.service');
    k8s('kubectl');
  }
  if (roles.has('control-plane') || roles.has('worker')) {
    k8s('kubelet', 'kubelet.service');
    k8s('kube-proxy', 'kube-proxy.service');
    for (const name of ['containerd', 'containerd-shim-runc-v2', 'ctr']) {
      out.push({ source: { bundleFile: CONTAINERD_TARBALL, member: `bin/${name}` }, path: `${layout.containerdBin}/${name}`, restarts: name === 'containerd' ? ['containerd.service'] : [] });
    }
    out.push({ source: { bundleFile: RUNC_FILE, member: RUNC_FILE }, path: layout.runc, restarts: [] });
    for (const name of CNI_PLUGINS) {
      out.push({ source: { bundleFile: CNI_TARBALL, member: `./${name}` }, path: `${layout.cniBin}/${name}`, restarts: [] });
    }
  }
  return out;
}
