/**
 * Parses and validates pki/profiles.yaml text into a PkiCatalogue. Every problem is collected with
 * its line before failing; the signer graph is checked (every signer is a CA entry, no cycles).
 */
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { ROLES, type Role } from '../inventory/types.js';
import { PkiError } from '../shared/errors.js';
import { SAN_SOURCES, type CertProfile, type InstallEntry, type PkiCatalogue, type SanSource, type Usage } from './profile-types.js';

const KEYS = new Set(['id', 'kind', 'signer', 'perHost', 'when', 'commonName', 'organizations', 'usages', 'sans', 'validityDays', 'install', 'restarts', 'purpose']);
const INSTALL_KEYS = new Set(['roles', 'cert', 'key', 'publicKey']);
const ID_RE = /^[a-z0-9][a-z0-9-]*$/;

type Raw = Record<string, unknown>;

/** Parses catalogue text; throws PkiError listing every problem as `file:line: message`. */
export function parseCatalogue(text: string, source: string): PkiCatalogue {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const issues: string[] = doc.errors.map((e) => `${source}:${e.linePos?.[0]?.line ?? 1}: ${e.message}`);
  const seq = doc.get('certificates', true);
  if (issues.length === 0 && !isSeq(seq)) issues.push(`${source}:1: expected a top-level "certificates:" list`);
  const profiles: CertProfile[] = [];
  if (issues.length === 0 && isSeq(seq)) {
    for (const item of seq.items) {
      const line = lineOf(item as YamlNode, lc);
      const at = (msg: string): void => void issues.push(`${source}:${line}: ${msg}`);
      if (!isMap(item)) {
        at('each certificate must be a mapping');
        continue;
      }
      const p = entryFrom(item.toJSON() as Raw, line, at);
      if (p) profiles.push(p);
    }
    issues.push(...graphIssues(profiles, source));
  }
  if (issues.length > 0) {
    throw new PkiError(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in the certificate catalogue`, {
      detail: issues,
      hint: 'fix the catalogue entries above; nothing was issued',
    });
  }
  return { source, profiles: topoSort(profiles) };
}

function lineOf(node: YamlNode, lc: LineCounter): number {
  return node.range ? lc.linePos(node.range[0]).line : 1;
}

function entryFrom(r: Raw, line: number, at: (m: string) => void): CertProfile | undefined {
  for (const k of Object.keys(r)) if (!KEYS.has(k)) at(`unknown field "${k}"`);
  const id = r.id;
  if (typeof id !== 'string' || !ID_RE.test(id)) return void at('"id" must be a lowercase name like "etcd-server"');
  const kind = r.kind;
  if (kind !== 'ca' && kind !== 'leaf' && kind !== 'keypair') return void at(`${id}: "kind" must be ca, leaf or keypair`);
  const strings = (k: string): string[] => {
    const v = r[k] ?? [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) return at(`${id}: "${k}" must be a list of strings`), [];
    return v as string[];
  };
  const usages = strings('usages');
  for (const u of usages) if (u !== 'serverAuth' && u !== 'clientAuth') at(`${id}: unknown usage "${u}" (serverAuth, clientAuth)`);
  const sans = strings('sans');
  for (const s of sans) if (!SAN_SOURCES.includes(s as SanSource)) at(`${id}: unknown SAN source "${s}" (${SAN_SOURCES.join(', ')})`);
  const perHost = r.perHost;
  if (perHost !== undefined && !ROLES.includes(perHost as Role)) at(`${id}: perHost must be a role (${ROLES.join(', ')})`);
  const cn = r.commonName;
  if (kind !== 'keypair' && (typeof cn !== 'string' || cn === '')) at(`${id}: "commonName" is required`);
  if (kind === 'leaf' && typeof r.signer !== 'string') at(`${id}: a leaf needs "signer" (the id of a ca entry)`);
  if (kind !== 'leaf' && (r.signer !== undefined || perHost !== undefined || usages.length > 0 || sans.length > 0)) {
    at(`${id}: signer, perHost, usages and sans apply to leaves only`);
  }
  if (kind === 'leaf' && usages.length === 0) at(`${id}: a leaf needs at least one usage`);
  const when = r.when as Raw | undefined;
  if (when !== undefined && when.adminIdentity !== 'cluster-admins' && when.adminIdentity !== 'system-masters') {
    at(`${id}: "when" supports only { adminIdentity: cluster-admins | system-masters }`);
  }
  const validity = r.validityDays;
  if (validity !== undefined && (!Number.isInteger(validity) || (validity as number) < 1)) at(`${id}: validityDays must be a positive integer`);
  const install = installFrom(r.install, id, kind, at);
  return {
    id,
    kind,
    ...(typeof r.signer === 'string' ? { signer: r.signer } : {}),
    ...(perHost !== undefined ? { perHost: perHost as Role } : {}),
    ...(when !== undefined ? { when: { adminIdentity: when.adminIdentity as 'cluster-admins' } } : {}),
    commonName: typeof cn === 'string' ? cn : '',
    organizations: strings('organizations'),
    usages: usages as Usage[],
    sans: sans as SanSource[],
    ...(typeof validity === 'number' ? { validityDays: validity } : {}),
    install,
    restarts: strings('restarts'),
    purpose: typeof r.purpose === 'string' ? r.purpose : '',
    line,
  };
}

function installFrom(v: unknown, id: string, kind: CertProfile['kind'], at: (m: string) => void): InstallEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return at(`${id}: "install" must be a list`), [];
  return v.flatMap((e: Raw): InstallEntry[] => {
    for (const k of Object.keys(e ?? {})) if (!INSTALL_KEYS.has(k)) at(`${id}: unknown install field "${k}"`);
    const roles = Array.isArray(e?.roles) ? (e.roles as Role[]) : [];
    if (roles.length === 0 || roles.some((x) => !ROLES.includes(x))) at(`${id}: install entries need "roles" (${ROLES.join(', ')})`);
    const paths = (['cert', 'key', 'publicKey'] as const).filter((k) => e?.[k] !== undefined);
    for (const k of paths) if (typeof e[k] !== 'string' || !(e[k] as string).startsWith('/') && !(e[k] as string).startsWith('{{')) at(`${id}: install ${k} must be an absolute path`);
    if (paths.length === 0) at(`${id}: an install entry needs cert, key or publicKey`);
    if (kind === 'keypair' && e?.cert !== undefined) at(`${id}: a keypair has no cert`);
    if (kind !== 'keypair' && e?.publicKey !== undefined) at(`${id}: publicKey applies to keypair entries only`);
    // why: CA keys are the crown jewels; only kube-controller-manager (control plane) may ever need one.
    if (kind === 'ca' && e?.key !== undefined && roles.some((x) => x !== 'control-plane')) {
      at(`${id}: a CA key may only be installed on control-plane hosts`);
    }
    return [{ roles, ...(paths.includes('cert') ? { cert: e.cert as string } : {}), ...(paths.includes('key') ? { key: e.key as string } : {}), ...(paths.includes('publicKey') ? { publicKey: e.publicKey as string } : {}) }];
  });
}

/** Signer graph: ids unique, every signer is a CA entry (so chains have depth 1 and cannot cycle). */
function graphIssues(ps: readonly CertProfile[], source: string): string[] {
  const out: string[] = [];
  const byId = new Map<string, CertProfile>();
  for (const p of ps) {
    if (byId.has(p.id)) out.push(`${source}:${p.line}: duplicate id "${p.id}"`);
    byId.set(p.id, p);
  }
  for (const p of ps) {
    if (p.signer === undefined) continue;
    const s = byId.get(p.signer);
    if (!s) out.push(`${source}:${p.line}: ${p.id}: signer "${p.signer}" is not in the catalogue`);
    else if (s.kind !== 'ca') out.push(`${source}:${p.line}: ${p.id}: signer "${p.signer}" is not a ca entry`);
  }
  return out;
}

/** CAs first, then keypairs, then leaves, each group in file order. */
function topoSort(ps: readonly CertProfile[]): CertProfile[] {
  const rank = { ca: 0, keypair: 1, leaf: 2 } as const;
  return [...ps].sort((a, b) => rank[a.kind] - rank[b.kind]);
}
