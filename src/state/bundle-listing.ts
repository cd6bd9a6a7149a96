/**
 * What `plan` and `render` read from the offline bundle: file names and the digests upstream's
 * checksum files publish, nothing hashed (the tarballs are hundreds of MB; apply verifies them).
 * That is enough to identify each binary by content, so a new tarball shows as a change (#13).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleListing } from '../render/binaries.js';
import { isChecksumFile, parseChecksumFile } from './bundle-checksums.js';

/** Checksum files larger than this are not upstream's (SHA256SUMS of a release is a few KB). */
const MAX_CHECKSUM_FILE = 1 << 20;

/**
 * The listing of `dir`; empty when it does not exist or cannot be read (plan works without a
 * bundle; the binaries are then identified by version and tarball name). A file with both a
 * sha256 and a sha512 published is identified by its sha256.
 */
export function readBundleListing(dir: string): BundleListing {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return { files: [], digests: new Map() };
  }
  const digests = new Map<string, string>();
  for (const name of names.filter(isChecksumFile)) {
    let text: string;
    try {
      const buf = readFileSync(join(dir, name));
      if (buf.length > MAX_CHECKSUM_FILE) continue;
      text = buf.toString('utf8');
    } catch {
      continue; // unreadable: apply reports it when it verifies the bundle
    }
    for (const e of parseChecksumFile(name, text)) {
      const known = digests.get(e.file);
      if (known === undefined || (e.algorithm === 'sha256' && !known.startsWith('sha256:'))) digests.set(e.file, `${e.algorithm}:${e.hex}`);
    }
  }
  return { files: names.filter((n) => !isChecksumFile(n)), digests };
}
