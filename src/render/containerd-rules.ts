/**
 * containerd's version rules, beside the Kubernetes and etcd ones in flags-by-version.ts (which
 * re-exports them): the config version and CRI plugin layout by release, and what the CRI and
 * `ctr` need from the config. test/render/containerd-versions.test.ts checks that each rule's
 * lines appear exactly for the releases it covers.
 */
import type { VersionRule } from './version-rule.js';

/** containerd rules, chosen by the bundle's (or inventory's) containerd version. */
export const CONTAINERD_RULES = {
  configV2: {
    component: 'containerd', what: 'config version = 2, CRI under [plugins."io.containerd.grpc.v1.cri"], sandbox_image', through: { major: 1, minor: 7 },
    why: 'containerd 1.x reads config version 2; kept for Kubernetes v1.35 only (the last minor whose kubelet still accepts a CRI without RuntimeConfig, see kubeletNeedsCriRuntimeConfig)',
    link: 'https://github.com/containerd/containerd/blob/v1.7.0/docs/cri/config.md', flags: ['version = 2', 'sandbox_image =', '[plugins."io.containerd.grpc.v1.cri"]'],
  },
  configV3: {
    component: 'containerd', what: 'config version = 3', from: { major: 2, minor: 0 }, through: { major: 2, minor: 2 },
    why: 'containerd 2.0 introduced config version 3 (RELEASES.md "Daemon Configuration": 3 needs v2.0.0, 4 needs v2.3.0); each release reads its own version without migrating at every start',
    link: 'https://github.com/containerd/containerd/blob/v2.3.0/RELEASES.md#daemon-configuration', flags: ['version = 3'],
  },
  criV1Plugins: {
    component: 'containerd', what: "CRI under [plugins.'io.containerd.cri.v1.images'] (snapshotter, pinned_images.sandbox, registry) and [plugins.'io.containerd.cri.v1.runtime'] (runc, cni, restrict_oom_score_adj)", from: { major: 2, minor: 0 },
    why: 'containerd 2.0 split the CRI plugin io.containerd.grpc.v1.cri into images and runtime plugins (config versions 3 and 4 alike); the sandbox image became pinned_images.sandbox',
    link: 'https://github.com/containerd/containerd/blob/v2.0.0/docs/cri/config.md', flags: ['pinned_images', "[plugins.'io.containerd.cri.v1.images']", "[plugins.'io.containerd.cri.v1.runtime']"],
  },
  configV4: {
    component: 'containerd', what: 'config version = 4: [grpc] becomes the io.containerd.server.v1.grpc plugin, TTRPC its own plugin', from: { major: 2, minor: 3 },
    why: 'containerd 2.3 introduced config version 4: CRI plugin paths are those of version 3, only server-level sections moved into plugins (serviceMigrate); TTRPC no longer follows the gRPC address there, so it is set too',
    link: 'https://github.com/containerd/containerd/blob/v2.3.0/docs/man/containerd-config.toml.5.md', flags: ['version = 4', "[plugins.'io.containerd.server.v1.grpc']", "[plugins.'io.containerd.server.v1.ttrpc']"],
  },
  cniBinDirs: {
    component: 'containerd', what: 'CRI cni `bin_dirs = [...]` (a list) instead of `bin_dir`', from: { major: 2, minor: 1 },
    why: 'bin_dir is deprecated since containerd 2.1 (removal targeted for 2.4) in favour of bin_dirs; containerd 2.0 knows only bin_dir',
    link: 'https://github.com/containerd/containerd/blob/v2.3.0/RELEASES.md#deprecated-config-properties', flags: ['bin_dirs ='],
  },
  registryHostsToml: {
    component: 'containerd', what: 'registry mirrors in /etc/containerd/certs.d/<registry>/hosts.toml (config_path)', from: { major: 1, minor: 5 },
    why: 'registry.mirrors in config.toml is deprecated since 1.5 (removal targeted for 2.4, RELEASES.md); hosts.toml per registry is the supported form, read at each pull',
    link: 'https://github.com/containerd/containerd/blob/v2.3.0/docs/hosts.md', flags: ['config_path ='],
  },
  transferUnpack: {
    component: 'containerd', what: "[[plugins.'io.containerd.transfer.v1.local'.unpack_config]] naming the CRI snapshotter", from: { major: 2, minor: 0 },
    why: 'from 2.0 `ctr images import/pull` go through the transfer service (from 2.1 CRI image pulls too), which unpacks only into the snapshotters its unpack_config lists, by default overlayfs alone: with another snapshotter (native where nodes are containers) every import failed with "no unpack platforms defined"',
    link: 'https://github.com/containerd/containerd/issues/11606', flags: ["[[plugins.'io.containerd.transfer.v1.local'.unpack_config]]"],
  },
} as const satisfies Record<string, VersionRule>;
