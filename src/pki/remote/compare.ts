/**
 * Judges what a host answered against what the state says it should hold: one row per
 * (host, certificate, place). Pure: expectations + observation + clock in, rows out; a surprise
 * in one row never hides the others.
 *
 * - file / kubeconfig: `in sync` when the certificates are the state's, else `differs from state`,
 *   `not deployed` (absent), `unreadable`.
 * - served: `served != on disk` when the endpoint presents another certificate than its file holds
 *   (a renewed file its server has not loaded yet); otherwise judged like the file.
 * - kubelet: the kubelet's own certificates are not in the state; `kubelet-rotated` when the state's
 *   kubernetes-ca signed them, `wrong signer` when not, `not issued` before the kubelet bootstrapped.
 */
import type { CertFactsCache } from './cert-facts.js';
import { sameCerts } from './pem.js';
import { pemBlocks } from './probe-script.js';
import { PROBLEM_STATUSES, type Expectation, type FileObservation, type HostFailure, type HostObservation, type RemoteCertRow, type RemoteStatus } from './types.js';

/** The CA that signs kubelet certificates (kube-controller-manager's CSR signer). */
export const KUBELET_SIGNER = 'kubernetes-ca';

const FIELD_LABEL = { 'certificate-authority-data': 'ca', 'client-certificate-data': 'client' } as const;

/** The location column: the path, the kubeconfig field, or the endpoint. */
function location(e: Expectation): string {
  if (e.source === 'served') return e.endpoint ?? '';
  if (e.source === 'kubeconfig' && e.field) return `${e.path} [${FIELD_LABEL[e.field]}]`;
  return e.path ?? '';
}

/** The PEM certificates at an expectation's place, or why there are none. */
function found(e: Expectation, obs: FileObservation | undefined): { certs: string[] } | { status: RemoteStatus; detail: string } {
  if (obs === undefined || obs.state === 'missing') return { status: e.source === 'kubelet' ? 'not issued' : 'not deployed', detail: `${e.path} does not exist` };
  if (obs.state === 'unreadable') return { status: 'unreadable', detail: `${e.path}: ${obs.reason}` };
  if (e.source === 'kubeconfig') {
    const data = e.field ? obs.fields.get(e.field) : undefined;
    if (data === undefined) return { status: 'not deployed', detail: `${e.path} has no ${e.field}` };
    const pem = Buffer.from(data, 'base64').toString('utf8');
    const blocks = pemBlocks(pem); // a CA field holds two certificates during a rotation
    return blocks.length === 0 ? { status: 'unreadable', detail: `${e.path}: ${e.field} is not a certificate` } : { certs: blocks };
  }
  return obs.certs.length === 0 ? { status: 'unreadable', detail: `${e.path}: no complete PEM certificate in it` } : { certs: [...obs.certs] };
}

/** Compares the found certificates with the state's. */
function syncOf(e: Expectation, certs: readonly string[], facts: CertFactsCache): { status: RemoteStatus; detail?: string } {
  if (e.source === 'kubelet' || (e.source === 'served' && e.certificate === 'kubelet-serving')) {
    const signer = facts.of(certs[0] ?? '')?.signer;
    if (signer === KUBELET_SIGNER) return { status: 'kubelet-rotated' };
    // During a rotation of kubernetes-ca the other root is trusted too (signerCas in state-bundle.ts).
    if (signer?.startsWith(`${KUBELET_SIGNER} (`)) return { status: 'kubelet-rotated', detail: `signed by ${signer}, trusted while the rotation lasts` };
    return { status: 'wrong signer', detail: `signed by ${signer ?? 'an unreadable certificate'}, not the state's ${KUBELET_SIGNER}` };
  }
  const want = (e.expected ?? []).flatMap((p) => facts.keys(p));
  const have = certs.flatMap((p) => facts.keys(p));
  if (sameCerts(have, want)) return { status: 'in sync' };
  const a = facts.of(certs[0] ?? '');
  const b = facts.of(e.expected?.[0] ?? '');
  const dates = a && b ? `deployed notAfter ${a.notAfter.toISOString()}, state notAfter ${b.notAfter.toISOString()}` : 'not the state\'s certificate';
  const sameKey = a && b && a.publicKey() === b.publicKey() ? '; same key pair' : '';
  return { status: 'differs from state', detail: `${dates}${sameKey}; \`kubesmith apply\` installs the state's` };
}

/** The rows of one host that answered. */
export function compareHost(expectations: readonly Expectation[], obs: HostObservation, facts: CertFactsCache, now: Date): RemoteCertRow[] {
  return expectations.map((e): RemoteCertRow => {
    const base = { host: e.host, certificate: e.certificate, ...(e.stateId ? { stateId: e.stateId } : {}), source: e.source, location: location(e) };
    let certs: readonly string[];
    let servedNote: { status: RemoteStatus; detail: string } | undefined;
    if (e.source === 'served') {
      const t = obs.tls.get(e.endpoint ?? '');
      if (t === undefined || t.state === 'no-openssl') return { ...base, status: 'not checked', detail: t ? 'openssl is not installed on the host' : 'no answer for this endpoint' };
      if (t.state === 'failed') return { ...base, status: 'not serving', detail: t.reason };
      certs = [t.cert];
      const disk = found(e, obs.files.get(e.path ?? ''));
      if ('certs' in disk && facts.keys(disk.certs[0] ?? '')[0] !== facts.keys(t.cert)[0]) {
        servedNote = { status: 'served != on disk', detail: `${e.path} holds another certificate; restart the service that serves ${e.endpoint} to load it` };
      }
    } else {
      const f = found(e, obs.files.get(e.path ?? ''));
      if (!('certs' in f)) return { ...base, ...f };
      certs = f.certs;
    }
    const fx = facts.of(certs[0] ?? '');
    const sync = servedNote ?? syncOf(e, certs, facts);
    return {
      ...base,
      status: fx === undefined ? 'unreadable' : sync.status,
      ...(fx ? { expires: fx.notAfter, residualMs: fx.notAfter.getTime() - now.getTime(), renewWithinMs: fx.renewWithinMs, signer: fx.signer } : {}),
      ...(certs.length > 1 ? { count: certs.length } : {}),
      ...(fx === undefined ? { detail: `${location(e)}: the certificate does not parse` } : sync.detail !== undefined ? { detail: sync.detail } : {}),
    };
  });
}

/** The row of a host that could not be asked. */
export function unreachableRow(f: HostFailure): RemoteCertRow {
  return { host: f.host, certificate: '-', source: 'host', location: f.address, status: 'unreachable', detail: f.error };
}

/** True when a row needs the operator: a problem status, or expiry inside `warnMs` (its own renewal window when undefined). */
export function needsAttention(r: RemoteCertRow, warnMs?: number): boolean {
  if (PROBLEM_STATUSES.has(r.status)) return true;
  if (r.residualMs === undefined) return false;
  return r.residualMs < (warnMs ?? r.renewWithinMs ?? 0);
}
