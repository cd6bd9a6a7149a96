/**
 * A "hand-made" cluster PKI as the classic binary-install guide leaves it, built with the real
 * openssl CLI the way cfssl would produce it (for `pki adopt` tests): RSA 2048 keys in PKCS#1
 * ("RSA PRIVATE KEY", as cfssljson writes), a kubernetes CA (CN=kubernetes) in <root>/kubernetes/ssl
 * with server.pem (CN=kubernetes, the guide's SANs), admin.pem (O=system:masters), kube-proxy.pem
 * (CN=system:kube-proxy, O=k8s), every leaf with the cfssl "kubernetes" profile (serverAuth and
 * clientAuth, 10 years), the cfssl JSON inputs and ca.csr beside them; and a separate etcd CA
 * (CN=etcd CA) with one server.pem (CN=etcd, every member IP) in <root>/etcd/ssl.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const openssl = (args: readonly string[], cwd: string): string => execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const NAMES = '/C=CN/ST=BeiJing/L=BeiJing';

/** openssl's config and extension files live here, not in the directories adopt reads. */
let scratchDir: string | undefined;
const scratch = (): string => (scratchDir ??= mkdtempSync(join(tmpdir(), 'ks-handmade-openssl-')));

/** A minimal openssl config: no default extensions, so every extension comes from the test. */
function config(): string {
  const f = join(scratch(), 'openssl.cnf');
  writeFileSync(f, '[req]\ndistinguished_name = dn\n[dn]\n');
  return f;
}

/** An RSA key in PKCS#1 (cfssljson's "RSA PRIVATE KEY"). */
export function rsaKey(dir: string, name: string, extra: readonly string[] = []): string {
  openssl(['genrsa', '-traditional', ...extra, '-out', name, '2048'], dir);
  return join(dir, name);
}

/** A self-signed CA like `cfssl gencert -initca`: critical basicConstraints CA:TRUE, certSign/cRLSign, SKI. */
export function makeCa(dir: string, base: string, subject: string, days = 3650): { cert: string; key: string } {
  const key = rsaKey(dir, `${base}-key.pem`);
  openssl(['req', '-config', config(), '-x509', '-new', '-key', key, '-days', String(days), '-subj', subject, '-sha256', '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash', '-out', `${base}.pem`], dir);
  return { cert: join(dir, `${base}.pem`), key };
}

/** What a leaf says. `usages` defaults to the cfssl "kubernetes" profile (serverAuth + clientAuth). */
export interface LeafSpec {
  readonly base: string;
  readonly subject: string;
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
  readonly usages?: readonly ('serverAuth' | 'clientAuth')[];
  readonly days?: number;
}

/** A leaf signed by `ca` (key <base>-key.pem, cert <base>.pem, CSR <base>.csr as cfssljson leaves them). */
export function makeLeaf(dir: string, ca: { cert: string; key: string }, s: LeafSpec): { cert: string; key: string } {
  const key = rsaKey(dir, `${s.base}-key.pem`);
  openssl(['req', '-config', config(), '-new', '-key', key, '-subj', s.subject, '-out', `${s.base}.csr`], dir);
  const san = [...(s.dns ?? []).map((d) => `DNS:${d}`), ...(s.ips ?? []).map((i) => `IP:${i}`)];
  const ext = join(scratch(), `${s.base}-${randomBytes(4).toString('hex')}.ext`);
  writeFileSync(ext, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${(s.usages ?? ['serverAuth', 'clientAuth']).join(',')}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : []),
    '',
  ].join('\n'));
  openssl(['x509', '-req', '-in', `${s.base}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', String(s.days ?? 3650), '-sha256', '-extfile', ext, '-out', `${s.base}.pem`], dir);
  return { cert: join(dir, `${s.base}.pem`), key };
}

/** The inventory facts the guide's certificates are made for. */
export interface HandmadeCluster {
  /** Control-plane IPs (the apiserver's SANs list them). */
  readonly masters: readonly string[];
  /** etcd member IPs (the one etcd server.pem lists them all). */
  readonly etcd: readonly string[];
  /** First IP of the service range: the guide's 10.0.0.1. */
  readonly serviceIP: string;
}

/** Builds both directories under `root`; returns their paths. */
export function handmadePki(root: string, c: HandmadeCluster): { k8s: string; etcd: string } {
  const k8s = join(root, 'kubernetes', 'ssl');
  const etcd = join(root, 'etcd', 'ssl');
  mkdirSync(k8s, { recursive: true });
  mkdirSync(etcd, { recursive: true });
  const ca = makeCa(k8s, 'ca', `${NAMES}/O=k8s/OU=System/CN=kubernetes`);
  makeLeaf(k8s, ca, {
    base: 'server',
    subject: `${NAMES}/O=k8s/OU=System/CN=kubernetes`,
    ips: [c.serviceIP, '127.0.0.1', ...c.masters],
    dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster', 'kubernetes.default.svc.cluster.local'],
  });
  makeLeaf(k8s, ca, { base: 'admin', subject: `${NAMES}/O=system:masters/OU=System/CN=admin` });
  makeLeaf(k8s, ca, { base: 'kube-proxy', subject: `${NAMES}/O=k8s/OU=System/CN=system:kube-proxy` });
  writeFileSync(join(k8s, 'ca-config.json'), '{"signing":{"default":{"expiry":"87600h"},"profiles":{"kubernetes":{"expiry":"87600h","usages":["signing","key encipherment","server auth","client auth"]}}}}\n');
  writeFileSync(join(k8s, 'ca-csr.json'), '{"CN":"kubernetes","key":{"algo":"rsa","size":2048},"names":[{"C":"CN","L":"BeiJing","ST":"BeiJing","O":"k8s","OU":"System"}]}\n');
  openssl(['req', '-config', config(), '-new', '-key', 'ca-key.pem', '-subj', `${NAMES}/O=k8s/OU=System/CN=kubernetes`, '-out', 'ca.csr'], k8s);
  const eca = makeCa(etcd, 'ca', `${NAMES}/CN=etcd CA`);
  makeLeaf(etcd, eca, { base: 'server', subject: `${NAMES}/CN=etcd`, ips: c.etcd });
  writeFileSync(join(etcd, 'server-csr.json'), `{"CN":"etcd","hosts":${JSON.stringify(c.etcd)},"key":{"algo":"rsa","size":2048}}\n`);
  return { k8s, etcd };
}
