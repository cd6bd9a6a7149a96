/** Minimal "vMAJOR.MINOR.PATCH" handling for Kubernetes and etcd versions. */

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string; // as written, with the leading "v"
}

/**
 * Parses "v1.31.2" (the leading v is required, as in release tarball names). Numbers have no
 * leading zeros (SemVer 2.0.0 §2): "v1.31.02" names no release and no download.
 */
export function parseVersion(text: string): Version | undefined {
  const m = /^v(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text };
}

/** Negative when a < b, 0 when equal, positive when a > b (major, minor, patch). */
export function compareVersions(a: Version, b: Pick<Version, 'major' | 'minor'> & { patch?: number }): number {
  return a.major - b.major || a.minor - b.minor || a.patch - (b.patch ?? 0);
}

/** True when v is at least major.minor (patch ignored): atLeast(v, 1, 28). */
export function atLeast(v: Version, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Kubernetes minors kubesmith renders; every version-dependent choice is in src/render/flags-by-version.ts. */
export const SUPPORTED_KUBERNETES = { min: { major: 1, minor: 28 }, max: { major: 1, minor: 38 } } as const;
/** etcd 3.6 and 3.7; 3.5 only as the running version of a cluster about to upgrade (validate warns). */
export const SUPPORTED_ETCD = { min: { major: 3, minor: 5 }, max: { major: 3, minor: 7 } } as const;
