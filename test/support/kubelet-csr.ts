/**
 * Builds CertificateSigningRequest objects the way a kubelet's certificate manager does
 * (client-go util/certificate: fresh ECDSA P-256 key, CN=system:node:<name>, O=system:nodes,
 * usages without key encipherment; pki-spec.md §2.4 and §6). Override any part to craft bad ones.
 */
import { buildCsr, type CsrRequest } from '../../src/pki/_x509-csr.js';
import { CLIENT_SIGNER, SERVING_SIGNER, type CsrObject } from '../../src/pki/csr.js';

export interface CsrOverrides {
  readonly name?: string;
  readonly signerName?: string;
  readonly username?: string;
  readonly groups?: readonly string[];
  readonly usages?: readonly string[];
  readonly expirationSeconds?: number;
  /** Replaces parts of the x509 request. */
  readonly x509?: Partial<CsrRequest>;
}

/** base64 of the PEM, exactly what spec.request carries on the wire. */
export async function requestField(req: CsrRequest): Promise<string> {
  return Buffer.from((await buildCsr(req)).pem).toString('base64');
}

let counter = 0;
const csrName = (prefix: string): string => `${prefix}-${(counter += 1).toString(36).padStart(5, '0')}`;

/** A first client CSR, sent with bootstrap token `tokenId` (the bootstrap kubeconfig's identity). */
export async function bootstrapClientCsr(node: string, tokenId = 'abcdef', o: CsrOverrides = {}): Promise<CsrObject> {
  return csrObject(
    {
      name: csrName('node-csr'),
      signerName: CLIENT_SIGNER,
      username: `system:bootstrap:${tokenId}`,
      groups: ['system:bootstrappers', 'system:bootstrappers:kubesmith', 'system:authenticated'],
      usages: ['digital signature', 'client auth'],
    },
    { commonName: `system:node:${node}`, organizations: ['system:nodes'] },
    o,
  );
}

/** A client certificate renewal: the node asks with its current certificate. */
export async function renewalClientCsr(node: string, o: CsrOverrides = {}): Promise<CsrObject> {
  return csrObject(
    {
      name: csrName('csr'),
      signerName: CLIENT_SIGNER,
      username: `system:node:${node}`,
      groups: ['system:nodes', 'system:authenticated'],
      usages: ['digital signature', 'client auth'],
    },
    { commonName: `system:node:${node}`, organizations: ['system:nodes'] },
    o,
  );
}

/** A serving CSR (serverTLSBootstrap: true) with the node's hostname and InternalIP as SANs. */
export async function servingCsr(node: string, ip: string, o: CsrOverrides = {}): Promise<CsrObject> {
  return csrObject(
    {
      name: csrName('csr'),
      signerName: SERVING_SIGNER,
      username: `system:node:${node}`,
      groups: ['system:nodes', 'system:authenticated'],
      usages: ['digital signature', 'server auth'],
    },
    { commonName: `system:node:${node}`, organizations: ['system:nodes'], dnsNames: [node], ipAddresses: [ip] },
    o,
  );
}

async function csrObject(
  base: Omit<CsrObject, 'request' | 'conditions'>,
  x509: CsrRequest,
  o: CsrOverrides,
): Promise<CsrObject> {
  const { x509: x509Overrides, ...spec } = o;
  return {
    ...base,
    ...spec,
    request: await requestField({ ...x509, ...x509Overrides }),
    conditions: [],
  };
}
