/**
 * Default etcd and containerd releases for a Kubernetes version, and the containerd version a
 * bundle's tarball name carries. The facts behind each choice are ETCD_RULES / CONTAINERD_RULES in
 * src/render/flags-by-version.ts.
 */
import { atLeast, parseVersion, type Version } from '../shared/semver.js';

/**
 * etcd 3.6 for Kubernetes up to v1.36 (kubeadm 1.36 pins 3.6.x), 3.7 from v1.37. 3.6.11 rather
 * than kubeadm's 3.6.8: it is the floor etcd's 3.6 -> 3.7 upgrade guide sets, so a cluster installed
 * with the default can step to 3.7 with the next Kubernetes minor.
 */
export const DEFAULT_ETCD = { v36: 'v3.6.11', v37: 'v3.7.0' } as const;

/** containerd assumed when neither the inventory nor a bundle names one (config version 4). */
export const DEFAULT_CONTAINERD_VERSION = 'v2.3.0';

/** The etcd release kubesmith installs with `kubernetesVersion` when the inventory names none. */
export function defaultEtcdVersion(kubernetesVersion: string): string {
  const k = parseVersion(kubernetesVersion);
  return k !== undefined && atLeast(k, 1, 37) ? DEFAULT_ETCD.v37 : DEFAULT_ETCD.v36;
}

/** "containerd-2.2.1-linux-amd64.tar.gz" -> v2.2.1; undefined for other names (Debian-style "1.6.20~ds1" too). */
export function containerdVersionOfTarball(name: string): Version | undefined {
  const m = /^containerd-(\d+\.\d+\.\d+)-linux-amd64\.tar\.gz$/.exec(name);
  return m ? parseVersion(`v${m[1]}`) : undefined;
}

/**
 * The containerd version the renderer writes the config for: the inventory's pin, else the single
 * containerd tarball in the bundle, else the default. A tarball whose name carries no parsable
 * version (test bundles built from distribution packages) counts by its major.minor when it has one.
 */
export function effectiveContainerdVersion(pinned: string | undefined, bundleFiles: readonly string[] | undefined): Version {
  const fromPin = pinned === undefined ? undefined : parseVersion(pinned);
  if (fromPin) return fromPin;
  const tarballs = (bundleFiles ?? []).filter((f) => /^containerd-.*-linux-amd64\.tar\.gz$/.test(f));
  if (tarballs.length === 1) {
    const exact = containerdVersionOfTarball(tarballs[0] ?? '');
    if (exact) return exact;
    const loose = /^containerd-(\d+)\.(\d+)\.(\d+)/.exec(tarballs[0] ?? '');
    if (loose) return { major: Number(loose[1]), minor: Number(loose[2]), patch: Number(loose[3]), text: `v${loose[1]}.${loose[2]}.${loose[3]}` };
  }
  const fallback = parseVersion(DEFAULT_CONTAINERD_VERSION);
  if (!fallback) throw new Error('DEFAULT_CONTAINERD_VERSION is not a version');
  return fallback;
}
