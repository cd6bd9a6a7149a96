/**
 * Orphaned PKI state: certificates and keys kubesmith issued for a host or an identity the inventory
 * no longer has (a host renamed or removed, a role dropped, pki.adminIdentity switched). Pure: the
 * state reader passes the directory's names, then the candidates' contents; `pki prune` archives
 * what this returns and `plan`, `pki generate` and `pki check` list it.
 *
 * Conservative by construction. Only "<leaf id>.crt|key" and "<per-host leaf id>@<host>.crt|key"
 * names of the catalogue can be orphans; CAs, the service-account keys, the bootstrap token and any
 * name kubesmith does not recognise never are. A candidate whose content is not what kubesmith
 * writes there (a CA certificate, a CA's or the service-account key, not PEM, not a regular file)
 * is refused with the reason, never archived.
 */
import type { Inventory } from '../inventory/types.js';
import type { PkiCatalogue } from './profile-types.js';
import { certSpecs } from './specs.js';
import { keyMatchesCert, keyMatchesPublic, readCert, readKey } from './x509-read.js';

/** A state file kubesmith wrote for something the inventory no longer has. */
export interface OrphanCandidate {
  /** File name in the PKI state directory: "etcd-server@old01.crt". */
  readonly file: string;
  /** Certificate id: "etcd-server@old01". */
  readonly id: string;
  /** Why it is no longer needed: "host old01 is no longer in the inventory". */
  readonly reason: string;
}

/** A candidate after its content was checked: archivable, or refused (left in place) with why. */
export interface Orphan extends OrphanCandidate {
  readonly refused?: string;
}

/** A candidate's file as the reader found it. */
export interface CandidateContent {
  readonly regularFile: boolean;
  /** The text, when it is a readable regular file. */
  readonly text?: string;
}

/** What the content checks compare with: the CA certificates and sa.pub of the same state. */
export interface ProtectedMaterial {
  /** CA id -> certificate PEM. */
  readonly caCerts: ReadonlyMap<string, string>;
  readonly saPublicPem?: string;
}

const PAIR = /^(.+)\.(crt|key)$/;

/** Names in the state dir that are certificates or keys issued for what the inventory no longer has. */
export function orphanCandidates(catalogue: PkiCatalogue, inv: Inventory, names: readonly string[]): readonly OrphanCandidate[] {
  const needed = new Set(certSpecs(catalogue, inv).map((s) => s.id));
  const profiles = new Map(catalogue.profiles.map((p) => [p.id, p]));
  const out: OrphanCandidate[] = [];
  for (const file of [...names].sort()) {
    const m = PAIR.exec(file);
    const id = m?.[1];
    if (id === undefined || needed.has(id)) continue;
    const at = id.indexOf('@');
    const profile = profiles.get(at < 0 ? id : id.slice(0, at));
    // Only leaves: a CA or the service-account key pair is never an orphan, whatever the inventory says.
    if (profile === undefined || profile.kind !== 'leaf') continue;
    const when = profile.when?.adminIdentity;
    const identity = when !== undefined && when !== inv.pki.adminIdentity ? `pki.adminIdentity is ${inv.pki.adminIdentity}; ${profile.id} is issued only with ${when}` : undefined;
    if (at < 0) {
      if (profile.perHost === undefined && identity !== undefined) out.push({ file, id, reason: identity });
    } else if (profile.perHost !== undefined) {
      const hostName = id.slice(at + 1);
      const host = inv.hosts.find((h) => h.name === hostName);
      if (host === undefined) out.push({ file, id, reason: `host ${hostName} is no longer in the inventory` });
      else if (!host.roles.includes(profile.perHost)) out.push({ file, id, reason: `host ${hostName} no longer has the ${profile.perHost} role` });
      else if (identity !== undefined) out.push({ file, id, reason: identity });
    }
  }
  return out;
}

/** Checks each candidate's content; a refused one stays where it is and says why. */
export function checkOrphans(
  candidates: readonly OrphanCandidate[],
  contents: ReadonlyMap<string, CandidateContent>,
  protect: ProtectedMaterial,
): readonly Orphan[] {
  return candidates.map((c) => {
    const refused = refusal(c.file, contents.get(c.file), protect);
    return refused === undefined ? c : { ...c, refused };
  });
}

function refusal(file: string, content: CandidateContent | undefined, protect: ProtectedMaterial): string | undefined {
  if (content === undefined || !content.regularFile) return 'not a regular file (kubesmith writes only regular files there)';
  if (content.text === undefined) return 'cannot be read';
  const text = content.text;
  if (file.endsWith('.crt')) {
    let isCa: boolean;
    try {
      isCa = readCert(text).isCa;
    } catch {
      return 'not a PEM certificate kubesmith wrote';
    }
    return isCa ? 'is a CA certificate: CAs are never archived' : undefined;
  }
  let key;
  try {
    key = readKey(text);
  } catch {
    return 'not a PEM private key kubesmith wrote';
  }
  for (const [ca, pem] of protect.caCerts) {
    if (matchesCert(key, pem)) return `is the private key of the ${ca} CA: CA keys are never archived`;
  }
  if (protect.saPublicPem !== undefined && matchesPublic(key, protect.saPublicPem)) return 'is the service-account key: it is never archived';
  return undefined;
}

function matchesCert(key: ReturnType<typeof readKey>, pem: string): boolean {
  try {
    return keyMatchesCert(key, readCert(pem));
  } catch {
    return false;
  }
}

function matchesPublic(key: ReturnType<typeof readKey>, pem: string): boolean {
  try {
    return keyMatchesPublic(key, pem);
  } catch {
    return false;
  }
}

/** Human lines for plan / pki generate / pki check: one per file, then what to run. Empty when none. */
export function describeOrphans(orphans: readonly Orphan[], inventoryFile: string): readonly string[] {
  if (orphans.length === 0) return [];
  const w = Math.max(...orphans.map((o) => o.file.length));
  const lines = orphans.map((o) => `  ${o.file.padEnd(w)}  ${o.reason}${o.refused ? `; left alone: ${o.refused}` : ''}`);
  const prunable = orphans.filter((o) => o.refused === undefined).length;
  const next = prunable > 0 ? `archive ${prunable === orphans.length ? 'them' : `the ${prunable} that can be`} with \`kubesmith pki prune -i ${inventoryFile}\`: moves them to pki/archive/, deletes nothing` : 'move the files above out of the state directory by hand if they are yours';
  return [`${orphans.length} file${orphans.length === 1 ? '' : 's'} in the PKI state no longer needed by the inventory (${next}):`, ...lines];
}
