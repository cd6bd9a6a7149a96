/**
 * Pure helpers for the offline bundle: the checksum files upstream projects publish, and the
 * "*" patterns the renderer uses for components whose version the inventory does not pin.
 * - etcd: SHA256SUMS ("<hex>  <file>" per line)
 * - Kubernetes: one "<file>.sha512" (and .sha256) holding just the hex digest
 * - containerd, runc: "<file>.sha256sum" / "runc.sha256sum" ("<hex>  <file>" lines)
 * - CNI plugins: "<file>.sha256" / "<file>.sha512" ("<hex>  <file>")
 */

export type DigestAlgorithm = 'sha256' | 'sha512';

/** One expected digest for one bundle file, and where that expectation came from. */
export interface ExpectedDigest {
  readonly file: string;
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  readonly source: string;
}

const HEX_LEN: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** Whether a file name is a checksum file we understand. */
export function isChecksumFile(name: string): boolean {
  return /^(SHA256SUMS|SHA512SUMS|sha256sum\.txt)$/i.test(name) || /\.(sha256|sha512|sha256sum|sha512sum)$/.test(name);
}

/** Parses a checksum file into expectations. Lines it does not understand are ignored. */
export function parseChecksumFile(name: string, text: string): readonly ExpectedDigest[] {
  const algorithm: DigestAlgorithm = /512/.test(name) ? 'sha512' : 'sha256';
  const perFile = name.replace(/\.(sha256|sha512|sha256sum|sha512sum)$/, '');
  const out: ExpectedDigest[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([0-9a-fA-F]+)(?:\s+\*?(\S.*))?$/.exec(line);
    if (!m || m[1]?.length !== HEX_LEN[algorithm]) continue;
    const target = m[2] ? basename(m[2].trim()) : perFile;
    if (target === name) continue;
    out.push({ file: target, algorithm, hex: (m[1] ?? '').toLowerCase(), source: name });
  }
  return out;
}

/** Files in `names` that a renderer pattern ("containerd-*-linux-amd64.tar.gz") matches. */
export function matchBundleFile(pattern: string, names: readonly string[]): readonly string[] {
  if (!pattern.includes('*')) return names.includes(pattern) ? [pattern] : [];
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('[^/]*')}$`);
  return names.filter((n) => re.test(n) && !isChecksumFile(n));
}

/** Cache directory name for one tarball: its sha256 (content-addressed, so stale caches are impossible). */
export function cacheKey(tarballSha256: string): string {
  return tarballSha256.slice(0, 32);
}

/** Tar member spellings to try: upstream CNI tarballs use "./bridge", others plain paths. */
export function memberVariants(member: string): readonly string[] {
  return member.startsWith('./') ? [member, member.slice(2)] : [member, `./${member}`];
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
