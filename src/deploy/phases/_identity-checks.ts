/**
 * Preflight: the hosts must carry this state directory's CAs and service-account key, or none. A
 * state directory applied to another cluster's hosts (a moved or copied inventory, a re-created
 * CA) would overwrite their trust roots and cut every component off; that is refused before any
 * write, naming the host file and both fingerprints. The files are read back in gather-facts'
 * single round trip (factsScript). A CA the operator replaced on purpose (`pki generate --new-ca`,
 * recorded in cluster.json) is accepted, with a warning: installing the new one is the point.
 */
import { fillPath } from '../../pki/specs.js';
import { certFingerprint, publicKeyFingerprint, type IdentityName } from '../../pki/identity.js';
import type { ClusterPlan } from '../../plan/types.js';
import { bundleFingerprints } from '../../pki/trust-bundle.js';
import type { PhaseInput, Problem } from '../phase.js';

/** A remote file that holds a cluster's trust root, and which one. */
export interface TrustPath {
  readonly path: string;
  readonly name: IdentityName;
}

/** kubeadm's locations: a host set up by kubeadm belongs to a cluster too. */
const KUBEADM_PATHS: readonly TrustPath[] = [
  { path: '/etc/kubernetes/pki/ca.crt', name: 'kubernetes-ca' },
  { path: '/etc/kubernetes/pki/etcd/ca.crt', name: 'etcd-ca' },
  { path: '/etc/kubernetes/pki/front-proxy-ca.crt', name: 'front-proxy-ca' },
  { path: '/etc/kubernetes/pki/sa.pub', name: 'service-account' },
];

/** Every path kubesmith installs a CA certificate or sa.pub to (any role: roles change), plus kubeadm's. */
export function trustPaths(plan: ClusterPlan): readonly TrustPath[] {
  const out = new Map<string, TrustPath>();
  for (const p of plan.pki.catalogue.profiles) {
    if (p.kind === 'leaf') continue;
    for (const e of p.install) {
      const path = p.kind === 'ca' ? e.cert : e.publicKey;
      if (path !== undefined) out.set(fillPath(path, plan.inventory), { path: fillPath(path, plan.inventory), name: p.id as IdentityName });
    }
  }
  for (const k of KUBEADM_PATHS) if (!out.has(k.path)) out.set(k.path, k);
  return [...out.values()];
}

function fingerprintOf(name: IdentityName, pem: string): string {
  return name === 'service-account' ? publicKeyFingerprint(pem) : certFingerprint(pem);
}

/** The state's PEM for `name`: the CA certificate, or the service-account public key. */
function statePem(plan: ClusterPlan, name: IdentityName): string | undefined {
  return name === 'service-account' ? plan.pki.serviceAccount.publicPem : plan.pki.certs.get(name)?.certPem;
}

function stateFingerprint(plan: ClusterPlan, name: IdentityName): string | undefined {
  const pem = statePem(plan, name);
  return pem === undefined ? undefined : fingerprintOf(name, pem);
}

/**
 * A trust file that holds only roots of this state's rotation of `name` (old and/or new, any
 * order): a host at an earlier or later stage of the rotation, which this run moves along.
 */
function rotationExplains(plan: ClusterPlan, name: IdentityName, text: string): boolean {
  const r = plan.pki.rotation;
  if (r === undefined || r.name !== name) return false;
  const known = new Set([r.old.fingerprint, r.next.fingerprint]);
  try {
    const fps = bundleFingerprints(name, text);
    return fps.length > 0 && fps.every((fp) => known.has(fp));
  } catch {
    return false;
  }
}

/** Errors for trust files that belong to another cluster; warnings for deliberate replacements. */
export function identityProblems(input: PhaseInput): readonly Problem[] {
  const files = input.facts.pkiFiles;
  if (files === undefined) return [];
  const { plan } = input;
  const out: Problem[] = [];
  for (const { path, name } of trustPaths(plan)) {
    const text = files.get(path);
    // No such file (most of the paths on most hosts), or this state's own PEM byte for byte (a
    // re-apply): nothing to parse. The state's fingerprint was computed first for every path of
    // every host: 20 % of a 1,000-host dry-run's CPU.
    if (text === undefined || (text.trim() !== '' && text.trim() === statePem(plan, name)?.trim())) continue;
    const ours = stateFingerprint(plan, name);
    if (ours === undefined) continue;
    let theirs: string;
    try {
      theirs = fingerprintOf(name, text);
    } catch {
      out.push({
        severity: 'error',
        message: `${path} is not a readable ${name === 'service-account' ? 'public key' : 'certificate'}; apply would replace a file it cannot identify`,
        hint: 'kubesmith does not overwrite a trust file it cannot tell is its own: move it away (or restore it) on this host and run again; nothing was written',
      });
      continue;
    }
    if (theirs === ours || rotationExplains(plan, name, text)) continue;
    const replaced = plan.pki.identity?.replaced.find((e) => e.name === name && e.fingerprint === theirs);
    if (replaced) {
      out.push({ severity: 'warning', message: `${path} holds the ${name} replaced by \`pki generate --new-ca ${name}\` on ${replaced.at}; this run installs the new one` });
      continue;
    }
    out.push({
      severity: 'error',
      message: `${path} holds another ${name} than this state directory: this state directory belongs to another cluster (host ${theirs}, state ${ours})`,
      hint:
        `nothing was written. If -i names the wrong inventory, use the one whose .kubesmith/ set up these hosts (its pki/cluster.json lists ${theirs}); ` +
        `if this state's ${name} was lost and re-created, restore the original from pki/backup/ or from this host. ` +
        `kubesmith never replaces another cluster's ${name} on a host: to re-install this host from this state on purpose, remove the old cluster from it first`,
    });
  }
  return out;
}
