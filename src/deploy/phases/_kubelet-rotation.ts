/**
 * The kubelet during a kubernetes CA rotation (src/pki/rotation.ts). Two things of the kubelet's
 * are its own, not files kubesmith ships: kubelet.kubeconfig, which the kubelet writes at TLS
 * bootstrap with the bootstrap kubeconfig's certificate-authority-data (so it keeps trusting only
 * the CA of its bootstrap day), and its client and serving certificates, issued through CSRs by
 * kube-controller-manager's signer. A kubelet whose kubeconfig does not trust exactly the stage's
 * bundle, or whose certificates the signing CA did not issue, has its current certificates set
 * aside and is restarted: it re-bootstraps with the bootstrap token (the kubeconfig is rewritten
 * from bootstrap.kubeconfig, which carries the bundle) and requests a new serving certificate,
 * both then signed by the CA that signs at this stage. Stage 1 makes kubelets trust old + new
 * before any apiserver presents a new certificate; stage 2 moves their certificates to the new CA
 * before stage 3 stops trusting the old one; stage 3 drops the old one from their kubeconfig.
 * Pure, except kubeletTrustFacts (one read-only round trip, only during such a rotation).
 */
import { certFingerprint } from '../../pki/identity.js';
import { rotationComplete } from '../../pki/rotation-record.js';
import { pemBlocks, trustedPems } from '../../pki/trust-bundle.js';
import { readCert, signedBy } from '../../pki/x509-read.js';
import type { ClusterPlan } from '../../plan/types.js';
import { remoteLayout } from '../../render/layout.js';
import { nodePaths } from '../../render/views/node.js';
import type { HostFacts, PhaseContext, PhaseInput, Step } from '../phase.js';
import type { HostReader } from '../ssh/connection.js';
import { FIRST_CERT_AWK } from './_facts.js';

const quote = (p: string): string => `'${p.replaceAll("'", `'\\''`)}'`;

/** The kubelet's files: kubeconfig, current client and serving certificates (symlinks the kubelet maintains). */
export function kubeletFiles(plan: Pick<ClusterPlan, 'inventory'>): { readonly kubeconfig: string; readonly client: string; readonly serving: string } {
  const layout = remoteLayout(plan.inventory);
  return { kubeconfig: nodePaths(layout).kubeletKubeconfig, client: `${layout.kubeletCertDir}/kubelet-client-current.pem`, serving: `${layout.kubeletCertDir}/kubelet-server-current.pem` };
}

/** True while the plan carries a kubernetes CA rotation that is not complete. */
export function rotatingKubernetesCa(plan: Pick<ClusterPlan, 'pki'>): boolean {
  const r = plan.pki.rotation;
  return r !== undefined && r.name === 'kubernetes-ca' && !rotationComplete(r);
}

/** Reads what the kubelet trusts and holds (certificate blocks only; a key never leaves the host). */
export async function kubeletTrustFacts(host: HostReader, plan: Pick<ClusterPlan, 'inventory' | 'pki'>, ctx: PhaseContext): Promise<Partial<HostFacts>> {
  if (!rotatingKubernetesCa(plan)) return {};
  const f = kubeletFiles(plan);
  const script = [
    `echo @cadata; grep -m1 'certificate-authority-data:' ${quote(f.kubeconfig)} 2>/dev/null`,
    `echo @client; [ -f ${quote(f.client)} ] && ${FIRST_CERT_AWK} ${quote(f.client)}`,
    `echo @serving; [ -f ${quote(f.serving)} ] && ${FIRST_CERT_AWK} ${quote(f.serving)}`,
    'true',
  ].join('\n');
  const r = await host.probe(['sh', '-c', script], { signal: ctx.signal, timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`reading the kubelet's kubeconfig and certificates failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  const part = (name: string): string | undefined => {
    const m = new RegExp(`^@${name}\\n([\\s\\S]*?)(?=^@|(?![\\s\\S]))`, 'm').exec(r.stdout);
    const text = m?.[1]?.trim();
    return text ? text : undefined;
  };
  const caData = part('cadata')?.replace(/^\s*certificate-authority-data:\s*/, '');
  const clientCert = part('client');
  const servingCert = part('serving');
  return { kubeletTrust: { ...(caData ? { caData } : {}), ...(clientCert ? { clientCert } : {}), ...(servingCert ? { servingCert } : {}) } };
}

/** What this host's kubelet needs at this stage, with the reasons. */
export interface KubeletRotationFinding {
  /** Files to set aside (the client certificate: re-bootstrap; the serving one: new CSR). */
  readonly setAside: readonly string[];
  readonly reasons: readonly string[];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

function caFingerprints(caData: string): readonly string[] {
  try {
    return pemBlocks(Buffer.from(caData, 'base64').toString('utf8')).map(certFingerprint);
  } catch {
    return [];
  }
}

function issuedBy(certPem: string, caPem: string): boolean {
  try {
    return signedBy(readCert(certPem), readCert(caPem));
  } catch {
    return false;
  }
}

/** Decides from the facts; undefined when the kubelet is where this stage wants it (or never bootstrapped). */
export function kubeletRotation(input: PhaseInput): KubeletRotationFinding | undefined {
  const t = input.facts.kubeletTrust;
  const r = input.plan.pki.rotation;
  const current = input.plan.pki.certs.get('kubernetes-ca')?.certPem;
  if (!t || !r || current === undefined || !rotatingKubernetesCa(input.plan)) return undefined;
  const f = kubeletFiles(input.plan);
  const want = trustedPems(r, 'kubernetes-ca', current).map(certFingerprint);
  const reasons: string[] = [];
  const setAside = new Set<string>();
  if (t.caData !== undefined && !sameSet(caFingerprints(t.caData), want)) {
    reasons.push(`kubelet.kubeconfig trusts another set of kubernetes CAs than stage ${r.stage} (${want.length === 1 ? 'the new CA only' : 'old + new'})`);
    if (t.clientCert !== undefined) setAside.add(f.client);
  }
  if (t.clientCert !== undefined && !issuedBy(t.clientCert, current)) {
    reasons.push('its client certificate was not issued by the CA that signs now');
    setAside.add(f.client);
  }
  if (t.servingCert !== undefined && !issuedBy(t.servingCert, current)) {
    reasons.push('its serving certificate was not issued by the CA that signs now');
    setAside.add(f.serving);
  }
  return setAside.size === 0 ? undefined : { setAside: [...setAside], reasons };
}

/**
 * `steps` with the set-aside before the kubelet's restart, made unconditional. The current files
 * are symlinks to dated files the kubelet wrote: the link is removed and the dated file stays; a
 * regular file is renamed, never deleted.
 */
export function rebootstrapForRotation(steps: readonly Step[], finding: KubeletRotationFinding | undefined): readonly Step[] {
  if (!finding) return steps;
  const script = 'for f in "$@"; do if [ -L "$f" ]; then rm -f "$f"; elif [ -e "$f" ]; then mv -f "$f" "$f.before-ca-rotation"; fi; done';
  const setAside: Step = {
    kind: 'exec',
    argv: ['sh', '-c', script, 'set-aside', ...finding.setAside],
    why: `kubernetes CA rotation: ${finding.reasons.join('; ')}; the kubelet re-bootstraps with the bootstrap token on its restart`,
  };
  return steps.flatMap((s): readonly Step[] => (s.kind === 'systemd' && s.action === 'restart' && s.unit === 'kubelet.service' ? [setAside, { ...s, when: 'always' }] : [s]));
}

/**
 * For approve-kubelet-csrs during a kubernetes CA rotation: a kubelet certificate that is missing
 * (set aside by this run, not written again yet) or not issued by the CA that signs now is not
 * done, whatever older CSRs say, so the phase waits for (and approves) the new ones.
 */
export async function kubeletCertsStale(host: HostReader, plan: Pick<ClusterPlan, 'inventory' | 'pki'>, ctx: PhaseContext): Promise<{ readonly client: boolean; readonly serving: boolean }> {
  const current = plan.pki.certs.get('kubernetes-ca')?.certPem;
  if (!rotatingKubernetesCa(plan) || current === undefined) return { client: false, serving: false };
  const t = (await kubeletTrustFacts(host, plan, ctx)).kubeletTrust ?? {};
  const stale = (pem: string | undefined): boolean => pem === undefined || !issuedBy(pem, current);
  return { client: stale(t.clientCert), serving: stale(t.servingCert) };
}
