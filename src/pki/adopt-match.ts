/**
 * Which found certificate plays which part of kubesmith's catalogue, decided by content: subject,
 * SANs and usages, never the file name alone (the classic guide's apiserver certificate is
 * server.pem with CN=kubernetes, kubeasz's is kubernetes.pem, kubeadm's apiserver.crt). The file
 * name only breaks ties (etcd server vs peer certificates look alike). Pure.
 */
import type { FoundCert } from './adopt-types.js';
import { canonicalIp } from './sans.js';
import type { CertSpec } from './specs.js';
import type { CertInfo } from './x509-read.js';

type Looks = (c: CertInfo, spec: CertSpec) => boolean;

/** Serves the Kubernetes API: the in-cluster names of the `kubernetes` Service. */
export const isApiserverLike = (c: CertInfo): boolean =>
  c.usages.includes('serverAuth') && c.sans.dns.some((d) => d === 'kubernetes' || d.startsWith('kubernetes.default'));

/** An etcd serving/peer certificate for this member: its IP or name in the SANs (one shared cert lists them all). */
const servesHost: Looks = (c, spec) => {
  const h = spec.host;
  if (h === undefined || !c.usages.includes('serverAuth') || isApiserverLike(c)) return false;
  return c.sans.ips.includes(canonicalIp(h.internalIP) ?? h.internalIP) || c.sans.dns.includes(h.name.toLowerCase()) || c.commonName === h.name;
};

const cn = (re: RegExp): Looks => (c) => re.test(c.commonName);
const ADMIN_NAMES = new Set(['admin', 'kubernetes-admin', 'cluster-admin']);

/** Per catalogue profile id: what a certificate playing that part looks like in the classic guides and kubeadm. */
const LOOKS_LIKE: Readonly<Record<string, Looks>> = {
  apiserver: isApiserverLike,
  'etcd-server': servesHost,
  'etcd-peer': servesHost,
  'etcd-healthcheck-client': cn(/healthcheck/i),
  'apiserver-etcd-client': cn(/etcd-client/i),
  'apiserver-kubelet-client': cn(/kubelet-client/i),
  'front-proxy-client': cn(/front-?proxy|aggregator/i),
  // the guides' admin: CN=admin, O=system:masters; kubeadm's: CN=kubernetes-admin
  admin: (c) => ADMIN_NAMES.has(c.commonName) || (c.organizations.includes('system:masters') && !isApiserverLike(c) && !/kubelet|proxy|controller|scheduler|super-admin/i.test(c.commonName)),
  'super-admin': cn(/^kubernetes-super-admin$/),
  'kube-controller-manager': cn(/controller-manager/i),
  'kube-scheduler': cn(/scheduler/i),
  'kube-proxy': cn(/kube-proxy/i),
};

/**
 * True when `c` plausibly is the certificate `spec` describes. Kubelet certificates (O=system:nodes)
 * never are: kubelets get and rotate their own through TLS bootstrap.
 */
export function looksLike(spec: CertSpec, c: CertInfo): boolean {
  if (c.isCa || c.organizations.includes('system:nodes')) return false;
  if (c.commonName === spec.commonName) return true;
  return LOOKS_LIKE[spec.profile.id]?.(c, spec) ?? false;
}

/** Words of the profile id that a file name may carry ("peer" for etcd-peer), for ties only. */
function nameHint(spec: CertSpec, file: string): boolean {
  const base = file.slice(file.lastIndexOf('/') + 1).toLowerCase();
  return spec.profile.id.split('-').filter((w) => !['etcd', 'kube', 'client'].includes(w)).some((w) => base.includes(w));
}

/** What ranks one candidate over another for a spec. */
export interface CandidateFacts {
  /** Why it does not fit as it is (reconcile's drift rule), or undefined when kubesmith would keep it. */
  readonly drift: (c: FoundCert) => string | undefined;
  readonly hasKey: (c: FoundCert) => boolean;
}

/**
 * The best candidate: one kubesmith would keep as it is (fits, and its key was found), then an exact
 * CN, then one with its key, then a telling file name, then the first by path (deterministic).
 */
export function pickCandidate(spec: CertSpec, candidates: readonly FoundCert[], facts: CandidateFacts): FoundCert | undefined {
  const rank = (c: FoundCert): number[] => [
    facts.drift(c) === undefined && facts.hasKey(c) ? 0 : 1,
    c.info.commonName === spec.commonName ? 0 : 1,
    facts.hasKey(c) ? 0 : 1,
    c.files.some((f) => nameHint(spec, f)) ? 0 : 1,
  ];
  const cmp = (a: FoundCert, b: FoundCert): number => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] ?? 0) - (rb[i] ?? 0);
    return (a.files[0] ?? '').localeCompare(b.files[0] ?? '');
  };
  return [...candidates].sort(cmp)[0];
}

/** Keywords a CA's own CN may carry when nothing found here was signed by it (a CA without leaves). */
const CA_NAME_HINTS: Readonly<Record<string, RegExp>> = {
  'kubernetes-ca': /^(kubernetes|k8s)\b(?!.*(etcd|front|proxy|aggregat))/i,
  'etcd-ca': /etcd/i,
  'front-proxy-ca': /front-?proxy|aggregator|requestheader/i,
};

/** 2 when the CA's CN is the catalogue's, 1 when it carries the role's keyword, else 0. */
export function caNameScore(caSpec: CertSpec, c: CertInfo): number {
  if (c.commonName === caSpec.commonName) return 2;
  return CA_NAME_HINTS[caSpec.id]?.test(c.commonName) ? 1 : 0;
}
