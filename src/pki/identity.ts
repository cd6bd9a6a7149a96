/**
 * The cluster identity record, `<state>/pki/cluster.json`: which CAs and service-account key this
 * state directory's cluster was built with (sha256 fingerprints), when it was created, when it was
 * first deployed, and which of them were deliberately replaced (`pki generate --new-ca`). It lets
 * `pki generate` refuse to mint a second identity beside the first, and apply's preflight refuse a
 * state directory whose CA differs from the one on the hosts. Pure.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { PkiError } from '../shared/errors.js';

/** What `--new-ca` can name: the three CAs and the service-account signing key. */
export const IDENTITY_NAMES = ['kubernetes-ca', 'etcd-ca', 'front-proxy-ca', 'service-account'] as const;
export type IdentityName = (typeof IDENTITY_NAMES)[number];

/** File name of the record inside the PKI state directory. */
export const IDENTITY_FILE = 'cluster.json';

/** One deliberate replacement (`pki generate --new-ca NAME`). */
export interface ReplacedEntry {
  readonly name: IdentityName;
  /** Fingerprint of what was replaced; apply accepts it on hosts, since the operator asked for the rotation. */
  readonly fingerprint: string;
  readonly at: string;
  /** Backup directory, relative to the PKI state directory. */
  readonly backup: string;
}

/** The record. Timestamps are ISO 8601 UTC. */
export interface ClusterIdentity {
  readonly cluster: string;
  readonly createdAt: string;
  readonly fingerprints: Readonly<Partial<Record<IdentityName, string>>>;
  /** First `apply` that went past preflight (absent: never deployed by a kubesmith that records it). */
  readonly deployedAt?: string;
  readonly replaced: readonly ReplacedEntry[];
  /**
   * The etcd members apply has started, with what each first started on (plan/etcd-membership.ts):
   * etcd reads initial-cluster* only on a member's first start, so these are rendered unchanged
   * forever, and an inventory member not listed here joins the running cluster.
   */
  readonly etcdMembers?: Readonly<Record<string, EtcdBootstrap>>;
  /**
   * The versions every host was left running by the last full, successful apply (no --limit, --only
   * or --skip): what the next apply's upgrade rules compare the inventory with (plan/upgrade-path.ts).
   */
  readonly versions?: DeployedVersions;
}

/** Kubernetes and etcd release versions ("v1.36.3", "v3.6.13"). */
export interface DeployedVersions {
  readonly kubernetes: string;
  readonly etcd: string;
}

/** How an etcd member first started: a founder of a new cluster, or a member that joined one. */
export interface EtcdBootstrap {
  readonly initialClusterState: 'new' | 'existing';
  /** "m1=https://10.0.0.1:2380,m2=..." as rendered into its config. */
  readonly initialCluster: string;
}

const colonHex = (buf: Buffer): string => buf.toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');

/** SHA-256 of the certificate's DER, as `openssl x509 -noout -fingerprint -sha256` prints it. */
export function certFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** SHA-256 of the public key's SPKI DER (a private or public PEM), same format. */
export function publicKeyFingerprint(pem: string): string {
  return colonHex(createHash('sha256').update(createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest());
}

const isName = (n: string): n is IdentityName => (IDENTITY_NAMES as readonly string[]).includes(n);
const FP = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** Parses the record; a damaged one is refused (it is the only proof of which cluster this is). */
export function parseIdentity(json: string, file: string): ClusterIdentity {
  const bad = (why: string): PkiError =>
    new PkiError(`${file}: not a valid cluster identity record (${why})`, {
      hint: `restore it from a backup; kubesmith never rewrites it from scratch, because it records which cluster this state belongs to. To start over deliberately, move the whole state directory away; nothing was written`,
    });
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw bad((err as Error).message);
  }
  const r = raw as Partial<Record<keyof ClusterIdentity, unknown>>;
  if (typeof raw !== 'object' || raw === null || typeof r.cluster !== 'string' || typeof r.createdAt !== 'string') throw bad('missing "cluster" or "createdAt"');
  if (typeof r.fingerprints !== 'object' || r.fingerprints === null) throw bad('missing "fingerprints"');
  const fingerprints: Partial<Record<IdentityName, string>> = {};
  for (const [k, v] of Object.entries(r.fingerprints)) {
    if (!isName(k) || typeof v !== 'string' || !FP.test(v)) throw bad(`fingerprints.${k} is not a SHA-256 fingerprint of ${IDENTITY_NAMES.join(', ')}`);
    fingerprints[k] = v;
  }
  const replaced = Array.isArray(r.replaced) ? (r.replaced as ReplacedEntry[]) : [];
  if (replaced.some((e) => typeof e !== 'object' || e === null || !isName(e.name) || typeof e.fingerprint !== 'string')) throw bad('"replaced" entries need a name and a fingerprint');
  const etcdMembers = parseEtcdMembers(r.etcdMembers, bad);
  const versions = parseVersions(r.versions, bad);
  return {
    cluster: r.cluster,
    createdAt: r.createdAt,
    fingerprints,
    ...(typeof r.deployedAt === 'string' ? { deployedAt: r.deployedAt } : {}),
    replaced,
    ...(etcdMembers ? { etcdMembers } : {}),
    ...(versions ? { versions } : {}),
  };
}

function parseVersions(v: unknown, bad: (why: string) => Error): DeployedVersions | undefined {
  if (v === undefined) return undefined;
  const r = v as Partial<Record<keyof DeployedVersions, unknown>> | null;
  const ok = (x: unknown): x is string => typeof x === 'string' && /^v\d+\.\d+\.\d+$/.test(x);
  if (!r || !ok(r.kubernetes) || !ok(r.etcd)) throw bad('"versions" needs kubernetes and etcd release versions like v1.36.3');
  return { kubernetes: r.kubernetes, etcd: r.etcd };
}

function parseEtcdMembers(v: unknown, bad: (why: string) => Error): Record<string, EtcdBootstrap> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) throw bad('"etcdMembers" is not an object');
  const out: Record<string, EtcdBootstrap> = {};
  for (const [name, m] of Object.entries(v)) {
    const b = m as Partial<EtcdBootstrap> | null;
    if (!b || (b.initialClusterState !== 'new' && b.initialClusterState !== 'existing') || typeof b.initialCluster !== 'string') throw bad(`etcdMembers.${name} needs initialClusterState (new|existing) and initialCluster`);
    out[name] = { initialClusterState: b.initialClusterState, initialCluster: b.initialCluster };
  }
  return out;
}

/** Stable JSON (keys in a fixed order) so an unchanged record is never rewritten. */
export function serializeIdentity(id: ClusterIdentity): string {
  const fingerprints = Object.fromEntries(IDENTITY_NAMES.flatMap((n) => (id.fingerprints[n] ? [[n, id.fingerprints[n]]] : [])));
  const etcd = id.etcdMembers && Object.keys(id.etcdMembers).length > 0 ? { etcdMembers: Object.fromEntries(Object.keys(id.etcdMembers).sort().map((n) => [n, id.etcdMembers?.[n]])) } : {};
  const versions = id.versions ? { versions: { kubernetes: id.versions.kubernetes, etcd: id.versions.etcd } } : {};
  const out = { cluster: id.cluster, createdAt: id.createdAt, ...(id.deployedAt ? { deployedAt: id.deployedAt } : {}), fingerprints, replaced: id.replaced, ...etcd, ...versions };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** The record with `members` noted as started (unchanged when each is noted with the same values). */
export function withEtcdMembers(id: ClusterIdentity, members: ReadonlyMap<string, EtcdBootstrap>): ClusterIdentity {
  const prev = id.etcdMembers ?? {};
  const fresh = [...members].filter(([n, b]) => prev[n]?.initialClusterState !== b.initialClusterState || prev[n]?.initialCluster !== b.initialCluster);
  return fresh.length === 0 ? id : { ...id, etcdMembers: { ...prev, ...Object.fromEntries(fresh) } };
}

/** The record with its first deployment noted (unchanged when one is noted already). */
export function withDeployment(id: ClusterIdentity, at: Date): ClusterIdentity {
  return id.deployedAt ? id : { ...id, deployedAt: at.toISOString() };
}

/** The record without `name` among the started etcd members (`kubesmith remove`); unchanged when it was not there. */
export function withoutEtcdMember(id: ClusterIdentity, name: string): ClusterIdentity {
  if (!id.etcdMembers || id.etcdMembers[name] === undefined) return id;
  return { ...id, etcdMembers: Object.fromEntries(Object.entries(id.etcdMembers).filter(([n]) => n !== name)) };
}

/** The record with the versions a full, successful apply left on every host (unchanged when equal). */
export function withVersions(id: ClusterIdentity, v: DeployedVersions): ClusterIdentity {
  return id.versions?.kubernetes === v.kubernetes && id.versions.etcd === v.etcd ? id : { ...id, versions: { kubernetes: v.kubernetes, etcd: v.etcd } };
}
