/**
 * CertificateSigningRequest calls: list, approve, deny (certificates.k8s.io/v1). Approval and
 * denial go through the /approval subresource, the same call `kubectl certificate approve` makes.
 */
import type { CsrObject } from '../pki/csr.js';
import type { KubeClient } from './client.js';
import type { CertificateSigningRequest } from './types.js';

/** The CertificateSigningRequest collection. */
export const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** Every CSR in the cluster. */
export async function listCsrs(client: KubeClient): Promise<readonly CertificateSigningRequest[]> {
  return client.list<CertificateSigningRequest>(CSR_PATH);
}

/** The fields decideCsr judges, taken from the wire object. */
export function toCsrObject(csr: CertificateSigningRequest): CsrObject {
  const s = csr.spec;
  return {
    name: csr.metadata.name,
    signerName: s.signerName,
    username: s.username ?? '',
    groups: s.groups ?? [],
    usages: s.usages ?? [],
    ...(s.expirationSeconds === undefined ? {} : { expirationSeconds: s.expirationSeconds }),
    request: s.request,
    conditions: (csr.status?.conditions ?? []).map((c) => ({
      type: c.type,
      ...(c.status === undefined ? {} : { status: c.status }),
      ...(c.reason === undefined ? {} : { reason: c.reason }),
      ...(c.message === undefined ? {} : { message: c.message }),
    })),
    ...(csr.status?.certificate ? { certificate: csr.status.certificate } : {}),
  };
}

/** Result of an approval or denial: 'conflict' when the CSR changed meanwhile (someone else decided). */
export type CsrUpdateResult = 'updated' | 'conflict' | 'gone';

/**
 * Adds an Approved or Denied condition. The PUT carries the resourceVersion we judged, so a CSR
 * that changed in between (another approver, the signer) is not overwritten: we report 'conflict'.
 */
export async function setCsrCondition(
  client: KubeClient,
  csr: CertificateSigningRequest,
  type: 'Approved' | 'Denied',
  message: string,
  now: Date,
): Promise<CsrUpdateResult> {
  const condition = {
    type,
    status: 'True',
    reason: type === 'Approved' ? 'KubesmithApprove' : 'KubesmithDeny',
    message,
    lastUpdateTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  // List items carry no apiVersion/kind (only the list does), so they are set explicitly here.
  const body = {
    ...csr,
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] },
  };
  const res = await client.attempt('PUT', `${CSR_PATH}/${encodeURIComponent(csr.metadata.name)}/approval`, body, [404, 409]);
  return res.status === 404 ? 'gone' : res.status === 409 ? 'conflict' : 'updated';
}
