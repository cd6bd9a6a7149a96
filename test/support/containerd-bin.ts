/**
 * The containerd the host tests' bundle carries. Kubernetes v1.36+ kubelets need containerd 2.x
 * (flags-by-version.ts CONTAINERD_RULES.configV2), and kubesmith renders config version 3 for
 * 2.0-2.2; Debian bookworm ships 1.6, so .ci/run unpacks Debian sid's containerd 2.1 (a Go binary
 * that runs on bookworm's glibc) into /opt/kubesmith-test/containerd2 with `apt-get download` +
 * `dpkg -x`. sid's runc needs glibc 2.38, so runc stays bookworm's 1.1.5 (containerd 2.1 runs it).
 * Without the unpacked 2.x (a developer machine), bookworm's 1.6 is used and the reason is printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where .ci/run unpacks containerd 2.x (containerd, containerd-shim-runc-v2, ctr). */
export const CONTAINERD2_DIR = '/opt/kubesmith-test/containerd2/usr/bin';

/** Why containerd 2.x cannot go into the test bundle here, or undefined when it can. */
export function containerd2Missing(): string | undefined {
  const missing = ['containerd', 'containerd-shim-runc-v2', 'ctr'].filter((b) => !existsSync(`${CONTAINERD2_DIR}/${b}`));
  if (missing.length > 0) return `${CONTAINERD2_DIR} lacks ${missing.join(', ')} (.ci/run unpacks Debian sid's containerd there)`;
  const r = spawnSync(`${CONTAINERD2_DIR}/containerd`, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return `${CONTAINERD2_DIR}/containerd --version failed (${r.status}): ${r.stderr.trim()}`;
  return undefined;
}

let chosen: { dir: string; note: string } | undefined;

/** The directory whose containerd the host tests ship: 2.x when present, else bookworm's /usr/bin (logged once, with the reason). */
export function hostTestContainerdDir(): string {
  if (!chosen) {
    const why = containerd2Missing();
    chosen = why ? { dir: '/usr/bin', note: `host tests use bookworm's containerd 1.6 from /usr/bin: ${why}` } : { dir: CONTAINERD2_DIR, note: '' };
    if (chosen.note) console.log(chosen.note);
  }
  return chosen.dir;
}
