/**
 * `kubesmith bundle check`: for every file the inventory needs from the offline bundle, whether it
 * is there, covered by a published checksum, intact (streamed sha256/sha512 against every digest
 * published for it) and of the version the inventory names. Reads only: no cache, no extraction
 * (tar members are peeked in memory), so it is safe to run on a read-only bundle, offline.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { containerdVersionOfTarball } from '../inventory/component-versions.js';
import type { Inventory } from '../inventory/types.js';
import { anyVersionPattern, checksumNamesFor, expectedBundleFiles, type ExpectedBundleFile } from '../plan/bundle-expected.js';
import { BundleError } from '../shared/errors.js';
import { appliesTo, CONTAINERD_RULES } from '../render/flags-by-version.js';
import { atLeast, parseVersion } from '../shared/semver.js';
import { hashFile, readExpectations } from './bundle.js';
import { matchBundleFile, type ExpectedDigest } from './bundle-checksums.js';
import { peekTarMembers } from './tar-peek.js';

/** The verdict on one expected file; every status but ok and not-needed fails the check. */
export type BundleFileStatus = 'ok' | 'missing' | 'checksum mismatch' | 'no checksum file' | 'version mismatch' | 'ambiguous' | 'not needed';

/** One row of the check. */
export interface BundleCheckRow {
  readonly component: ExpectedBundleFile['component'];
  /** What the bundle must hold (the renderer's pattern). */
  readonly expected: string;
  /** The file found for it, when exactly one matched. */
  readonly file?: string;
  readonly status: BundleFileStatus;
  /** The checksum files upstream publishes for it (for the hint). */
  readonly checksumFiles: readonly string[];
  /** Why, and what was compared. */
  readonly detail: readonly string[];
}

/** The whole check. */
export interface BundleCheckReport {
  readonly dir: string;
  readonly ok: boolean;
  readonly rows: readonly BundleCheckRow[];
}

const K8S_VERSION_FILE = 'kubernetes/version';
const K8S_DOCKER_TAG = 'kubernetes/server/bin/kube-apiserver.docker_tag';
const KUBELET = 'kubernetes/server/bin/kubelet';
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Checks `dir` (the inventory's bundle.dir) against what the inventory needs. */
export async function checkBundle(inv: Inventory, dir: string): Promise<BundleCheckReport> {
  const names = (
    await readdir(dir).catch((e: unknown) => {
      throw new BundleError(`${dir}: cannot read the offline bundle directory`, { cause: e, hint: 'set `bundle.dir` in the inventory to the directory holding the release tarballs and their checksum files' });
    })
  ).sort();
  const published = await readExpectations(dir, names);
  const rows: BundleCheckRow[] = [];
  let stubKubelet: string | undefined;
  for (const e of expectedBundleFiles(inv)) {
    if (e.component === 'image' && stubKubelet !== undefined) {
      rows.push(row(e, 'not needed', [stubKubelet], matchBundleFile(e.pattern, names)[0]));
      continue;
    }
    const r = await checkOne(inv, dir, names, published, e);
    rows.push(r.row);
    if (r.stubKubelet) stubKubelet = 'the bundle\'s kubelet is not a Linux executable (stub): apply ships and imports no container images';
  }
  return { dir, ok: rows.every((r) => r.status === 'ok' || r.status === 'not needed'), rows };
}

function row(e: ExpectedBundleFile, status: BundleFileStatus, detail: readonly string[], file?: string): BundleCheckRow {
  return { component: e.component, expected: e.pattern, ...(file === undefined ? {} : { file }), status, checksumFiles: checksumNamesFor(e, file ?? e.pattern), detail };
}

async function checkOne(inv: Inventory, dir: string, names: readonly string[], published: ReadonlyMap<string, readonly ExpectedDigest[]>, e: ExpectedBundleFile): Promise<{ row: BundleCheckRow; stubKubelet?: boolean }> {
  const found = matchBundleFile(e.pattern, names);
  if (found.length === 0) {
    const other = anyVersionPattern(e);
    const others = other === undefined ? [] : matchBundleFile(other, names);
    if (others.length > 0) return { row: row(e, 'version mismatch', [`the inventory wants ${e.version ?? e.pattern}; the bundle has ${others.join(', ')}`]) };
    return { row: row(e, 'missing', [e.image === undefined ? `needed by ${e.hosts.join(', ')}` : `image ${e.image}, needed by ${e.hosts.join(', ')}`]) };
  }
  const file = found[0];
  if (found.length > 1 || file === undefined) return { row: row(e, 'ambiguous', [`${found.length} files match: ${found.join(', ')}; keep exactly one`]) };
  const digests = published.get(file) ?? [];
  if (digests.length === 0) return { row: row(e, 'no checksum file', [`no checksum file covers ${file}; upstream publishes ${checksumNamesFor(e, file).join(' or ')}`], file) };
  const actual = await hashFile(join(dir, file));
  const wrong = digests.filter((d) => (d.algorithm === 'sha256' ? actual.sha256 : actual.sha512) !== d.hex);
  if (wrong.length > 0) {
    return { row: row(e, 'checksum mismatch', wrong.flatMap((d) => [`${d.algorithm} expected ${d.hex} (from ${d.source})`, `${d.algorithm} actual   ${d.algorithm === 'sha256' ? actual.sha256 : actual.sha512}`]), file) };
  }
  const verified = `${digests.map((d) => `${d.algorithm} from ${d.source}`).join(', ')} verified`;
  if (e.component === 'containerd') {
    const problem = containerdProblem(inv, file);
    if (problem !== undefined) return { row: row(e, 'version mismatch', [problem], file) };
  }
  if (e.component === 'kubernetes') return kubernetesVersion(inv, dir, e, file, verified);
  return { row: row(e, 'ok', [verified], file) };
}

/**
 * The containerd tarball against the inventory: its pin (containerd.version), and the rule validate
 * applies to a pin, here to the tarball's own version: containerd 1.x only up to Kubernetes v1.35.
 */
function containerdProblem(inv: Inventory, file: string): string | undefined {
  const has = containerdVersionOfTarball(file);
  if (has === undefined) return undefined;
  const want = inv.containerd.version === undefined ? undefined : parseVersion(inv.containerd.version)?.text ?? inv.containerd.version;
  if (want !== undefined && has.text !== want) return `containerd.version is ${want}; ${file} is ${has.text}`;
  const k8s = parseVersion(inv.cluster.kubernetesVersion);
  if (k8s !== undefined && appliesTo(CONTAINERD_RULES.configV2, has) && atLeast(k8s, 1, 36)) {
    return `${file} is containerd ${has.text} (1.x), kept for Kubernetes v1.35 and older only; Kubernetes ${k8s.text} needs containerd v2.0 or later (${CONTAINERD_RULES.configV2.link})`;
  }
  return undefined;
}

/**
 * The server tarball's name carries no version: `kubernetes/version` inside it does (written by
 * build/lib/release.sh), else kube-apiserver's .docker_tag ("+" spelled "_"); neither: not checked.
 */
async function kubernetesVersion(inv: Inventory, dir: string, e: ExpectedBundleFile, file: string, verified: string): Promise<{ row: BundleCheckRow; stubKubelet?: boolean }> {
  let peek: ReadonlyMap<string, Buffer>;
  try {
    peek = await peekTarMembers(join(dir, file), [K8S_VERSION_FILE, K8S_DOCKER_TAG, KUBELET], 64);
  } catch (err) {
    return { row: row(e, 'checksum mismatch', [`${verified}, but the tarball cannot be read: ${err instanceof Error ? err.message : String(err)}`], file) };
  }
  const kubelet = peek.get(KUBELET);
  const stubKubelet = kubelet !== undefined && !kubelet.subarray(0, 4).equals(ELF);
  const source = peek.has(K8S_VERSION_FILE) ? K8S_VERSION_FILE : K8S_DOCKER_TAG;
  const text = peek.get(source)?.toString('utf8').trim().replace(source === K8S_DOCKER_TAG ? '_' : '\0', '+');
  const want = inv.cluster.kubernetesVersion;
  if (text === undefined) return { row: row(e, 'ok', [verified, `version not checked: no ${K8S_VERSION_FILE} or kube-apiserver.docker_tag in the tarball`], file), stubKubelet };
  if (text !== want) return { row: row(e, 'version mismatch', [`the inventory wants ${want}; ${file} holds ${text} (${source})`], file), stubKubelet };
  return { row: row(e, 'ok', [verified, `version ${text}`], file), stubKubelet };
}
