/**
 * Files from an existing cluster -> the certificates, private keys and public keys in them. Content
 * decides, not the name: PEM blocks of any label order (a kubelet-client-current.pem holds a
 * certificate and its key), DER certificates and keys, CA bundles. Anything else is listed as not
 * used, with the reason. A private key that cannot be used (encrypted, unreadable) is a problem,
 * since skipping it could silently turn a CA into a keyless one. Key material is never put in a
 * message. Pure (node:crypto parsing only).
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { FoundCert, FoundFile, FoundKey, FoundMaterial, FoundPublicKey, IgnoredFile } from './adopt-types.js';
import { readCert } from './x509-read.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const KEY_LABELS = new Set(['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'PRIVATE KEY']);
const PUBLIC_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);

const spkiHex = (k: KeyObject): string => (k.type === 'public' ? k : createPublicKey(k)).export({ type: 'spki', format: 'der' }).toString('hex');
const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

/** Collects material, merging the same certificate or key found in several files. */
class Collector {
  readonly certs = new Map<string, FoundCert>();
  readonly keys = new Map<string, FoundKey>();
  readonly publics = new Map<string, FoundPublicKey>();
  readonly ignored: IgnoredFile[] = [];
  readonly problems: string[] = [];

  cert(path: string, x: X509Certificate): void {
    const pem = x.toString();
    const prev = this.certs.get(x.fingerprint256);
    if (prev) return void this.certs.set(x.fingerprint256, { ...prev, files: [...prev.files, path] });
    this.certs.set(x.fingerprint256, { files: [path], pem, info: readCert(pem), fingerprint: x.fingerprint256, spki: spkiHex(x.publicKey) });
  }

  key(path: string, k: KeyObject, pem: string): void {
    const spki = spkiHex(k);
    const prev = this.keys.get(spki);
    this.keys.set(spki, prev ? { ...prev, files: [...prev.files, path] } : { files: [path], pem, spki });
  }

  publicKey(path: string, k: KeyObject): void {
    const spki = spkiHex(k);
    const prev = this.publics.get(spki);
    const pem = k.export({ type: 'spki', format: 'pem' }).toString();
    this.publics.set(spki, prev ? { ...prev, files: [...prev.files, path] } : { files: [path], pem, spki });
  }
}

function pemBlock(c: Collector, path: string, label: string, block: string): void {
  const at = (what: string): IgnoredFile => ({ path, reason: what });
  try {
    if (label === 'CERTIFICATE') return c.cert(path, new X509Certificate(block));
    if (label === 'ENCRYPTED PRIVATE KEY' || (KEY_LABELS.has(label) && /Proc-Type:\s*4,ENCRYPTED/.test(block))) {
      return void c.problems.push(`${path}: the private key is encrypted with a passphrase, so kubesmith cannot use it; decrypt a copy (\`openssl pkey -in ${path.replace(/^[^/]*:/, '')} -out KEY.pem\`, mode 0600) and adopt from that copy, or remove the file from the --from directory`);
    }
    if (KEY_LABELS.has(label)) return c.key(path, createPrivateKey(block), `${block.trim()}\n`);
    if (PUBLIC_LABELS.has(label)) return c.publicKey(path, createPublicKey(block));
    if (label === 'EC PARAMETERS') return; // openssl ecparam -genkey writes it before the key
    c.ignored.push(at(label.includes('CERTIFICATE REQUEST') ? 'a certificate signing request (.csr), not needed' : `a PEM "${label}" block, not a certificate or key`));
  } catch (err) {
    if (KEY_LABELS.has(label)) c.problems.push(`${path}: a private key that cannot be read (${errText(err)}); fix or remove it, so a CA is not adopted without its key by mistake`);
    else c.ignored.push(at(`a ${label} block that cannot be read (${errText(err)})`));
  }
}

/** Tries the DER forms a certificate directory may hold: certificate, PKCS#8/PKCS#1/SEC1 key, SPKI. */
function derFile(c: Collector, path: string, bytes: Buffer): boolean {
  try {
    c.cert(path, new X509Certificate(bytes));
    return true;
  } catch {
    // not a DER certificate; try keys
  }
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      const k = createPrivateKey({ key: bytes, format: 'der', type });
      const pem = k.export({ type: k.asymmetricKeyType === 'rsa' ? 'pkcs1' : k.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs8', format: 'pem' }).toString();
      c.key(path, k, pem);
      return true;
    } catch {
      // next form
    }
  }
  try {
    c.publicKey(path, createPublicKey({ key: bytes, format: 'der', type: 'spki' }));
    return true;
  } catch {
    return false;
  }
}

/** Everything recognised in `files`, merged by content. */
export function parseFound(files: readonly FoundFile[]): FoundMaterial {
  const c = new Collector();
  for (const f of files) {
    if ('skipped' in f) {
      if (f.problem) c.problems.push(`${f.path}: ${f.skipped}`);
      else c.ignored.push({ path: f.path, reason: f.skipped });
      continue;
    }
    const bytes = Buffer.from(f.bytes);
    const text = bytes.toString('latin1');
    if (text.includes('-----BEGIN ')) {
      const blocks = [...text.matchAll(PEM_BLOCK)];
      for (const m of blocks) pemBlock(c, f.path, m[1] as string, m[0]);
      if (blocks.length === 0) c.ignored.push({ path: f.path, reason: 'a "-----BEGIN" line without a complete PEM block' });
      continue;
    }
    if (bytes.length > 0 && bytes[0] === 0x30 && derFile(c, f.path, bytes)) continue;
    c.ignored.push({ path: f.path, reason: bytes.length === 0 ? 'empty' : 'not a certificate or key (neither PEM nor DER)' });
  }
  return { certs: [...c.certs.values()], keys: [...c.keys.values()], publicKeys: [...c.publics.values()], ignored: c.ignored, problems: c.problems };
}

/** Where a key file's certificate would be by the usual names: x-key.pem -> x.pem, x.key -> x.crt/x.pem. */
function pairedCertPaths(keyPath: string): string[] {
  const m = /^(.*)-key\.pem$/.exec(keyPath) ?? /^(.*)\.key$/.exec(keyPath);
  if (!m) return [];
  const stem = m[1] as string;
  return keyPath.endsWith('.key') ? [`${stem}.crt`, `${stem}.pem`] : [`${stem}.pem`];
}

/**
 * Keys whose name pairs them with a certificate (x-key.pem / x.pem, x.key / x.crt, or one file with
 * both) but whose public half is not that certificate's: a key copied from another pair. Refused,
 * naming both files, since adopting either half would give a pair that cannot complete a handshake.
 */
export function mismatchedPairs(found: FoundMaterial): string[] {
  const certsByFile = new Map<string, FoundCert[]>();
  for (const cert of found.certs) for (const f of cert.files) certsByFile.set(f, [...(certsByFile.get(f) ?? []), cert]);
  const out: string[] = [];
  for (const key of found.keys) {
    for (const kf of key.files) {
      for (const cf of [kf, ...pairedCertPaths(kf)]) {
        const certs = certsByFile.get(cf);
        // a file of CA certificates next to ca-key.pem matches if any of them is the key's
        if (!certs || certs.some((c) => c.spki === key.spki)) continue;
        out.push(`${kf} does not match ${cf === kf ? 'the certificate in the same file' : cf} (their public keys differ): a key from another pair; put the matching key next to ${cf} or remove the wrong file, then run pki adopt again`);
        break;
      }
    }
  }
  return out;
}
