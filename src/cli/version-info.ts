/**
 * `kubesmith version --json`: the tool version, the Node.js it needs, how this copy was built, the
 * component ranges it supports and the release files an offline bundle holds, read from the
 * tables that decide them (semver.ts SUPPORTED_*, component-versions.ts defaults, ETCD_RULES and
 * CONTAINERD_RULES in flags-by-version.ts, binaries.ts RELEASE_FILES, bundle-expected.ts
 * CHECKSUM_FILES), so the output cannot drift from what validate and `bundle check` accept.
 */
import { DEFAULT_CONTAINERD_VERSION, DEFAULT_ETCD } from '../inventory/component-versions.js';
import { CHECKSUM_FILES } from '../plan/bundle-expected.js';
import { RELEASE_FILES } from '../render/binaries.js';
import { CONTAINERD_RULES, ETCD_UPGRADE_FLOOR, type VersionRule } from '../render/flags-by-version.js';
import { SUPPORTED_ETCD, SUPPORTED_KUBERNETES } from '../shared/semver.js';
import type { BuildInfo } from '../state/assets.js';

type MajorMinor = { readonly major: number; readonly minor: number };
const mm = (v: MajorMinor): string => `${v.major}.${v.minor}`;

/** The minors from `min` through `max` of one major (etcd and Kubernetes never span majors here). */
function minors(min: MajorMinor, max: MajorMinor): string[] {
  return Array.from({ length: max.minor - min.minor + 1 }, (_, i) => `${min.major}.${min.minor + i}`);
}

/** A rule's version range as "2.0-2.2", "2.3+" or "<=1.7". */
function range(r: VersionRule): string {
  if (r.from && r.through) return `${mm(r.from)}-${mm(r.through)}`;
  return r.from ? `${mm(r.from)}+` : `<=${mm(r.through ?? { major: 0, minor: 0 })}`;
}

/** What `version --json` reports about the running copy itself. */
export interface ToolFacts {
  readonly version: string;
  /** package.json engines.node. */
  readonly node: string;
  /** The release build's facts; undefined in the npm/tsc layout. */
  readonly build: BuildInfo | undefined;
}

/** Each release file with the checksum files published beside it ("<file>" resolved). */
function bundleFiles() {
  return (Object.keys(RELEASE_FILES) as (keyof typeof RELEASE_FILES)[]).map((component) => ({
    component,
    file: RELEASE_FILES[component],
    checksumFiles: CHECKSUM_FILES[component].map((c) => c.replace('<file>', RELEASE_FILES[component])),
  }));
}

/** The machine-readable version report. */
export function versionInfo(tool: ToolFacts) {
  return {
    version: tool.version,
    node: { required: tool.node, running: process.versions.node },
    build: tool.build === undefined ? { layout: 'npm' } : { layout: tool.build.layout, commit: tool.build.commit },
    kubernetes: { minors: minors(SUPPORTED_KUBERNETES.min, SUPPORTED_KUBERNETES.max).map((m) => `v${m}`) },
    etcd: {
      // The lowest supported minor is accepted only as the version a cluster runs before its upgrade.
      minors: minors({ major: SUPPORTED_ETCD.min.major, minor: SUPPORTED_ETCD.min.minor + 1 }, SUPPORTED_ETCD.max),
      upgradeSourceOnly: [mm(SUPPORTED_ETCD.min)],
      defaults: { throughKubernetes136: DEFAULT_ETCD.v36, fromKubernetes137: DEFAULT_ETCD.v37 },
      upgradeFloors: Object.fromEntries(Object.entries(ETCD_UPGRADE_FLOOR).map(([to, f]) => [to, f.from])),
    },
    containerd: {
      default: DEFAULT_CONTAINERD_VERSION,
      // The config.toml `version` each containerd range gets, from the rule's governed line "version = N".
      configFormats: [CONTAINERD_RULES.configV2, CONTAINERD_RULES.configV3, CONTAINERD_RULES.configV4].map((r) => ({
        containerd: range(r),
        configVersion: Number(/^version = (\d+)$/.exec(r.flags.find((f) => f.startsWith('version = ')) ?? '')?.[1]),
        link: r.link,
      })),
    },
    bundle: {
      files: bundleFiles(),
      // Image tarballs depend on the inventory's add-ons (CNI, CoreDNS) and pinned images.
      images: 'per inventory: `kubesmith bundle check -i INVENTORY` lists every file with its checksum file',
    },
  };
}
