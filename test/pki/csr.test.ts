/**
 * decideCsr against real PKCS#10 requests built like a kubelet builds them (ECDSA P-256 through
 * WebCrypto; some RSA), one crafted defect per case. Every decision and its reason is asserted.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decideCsr, judgeCsr, type CsrContext, type CsrObject } from '../../src/pki/csr.js';
import { parseCsr } from '../../src/pki/_x509-csr.js';
import { exampleInventory, aHost } from '../support/inventory-builder.js';
import { bootstrapClientCsr, renewalClientCsr, requestField, servingCsr } from '../support/kubelet-csr.js';

const inventory = exampleInventory();
const ctx: CsrContext = { inventory, maxExpirationSeconds: 365 * 86400, bootstrapTokenIds: ['abcdef'] };
const decide = (csr: CsrObject, c: Partial<CsrContext> = {}) => decideCsr(csr, { ...ctx, ...c });
const SOURCE = inventory.source;

describe('decideCsr: kubelet CSRs that match the inventory are approved', () => {
  it('approves a first client CSR sent with the bootstrap token', async () => {
    expect(await decide(await bootstrapClientCsr('node01'))).toEqual({
      decision: 'approve',
      kind: 'client',
      node: 'node01',
      reason: 'client certificate for node01, requested with bootstrap token abcdef',
    });
  });

  it('approves a client renewal from the node itself (control-plane hosts are nodes too)', async () => {
    expect(await decide(await renewalClientCsr('master02'))).toEqual({
      decision: 'approve',
      kind: 'client',
      node: 'master02',
      reason: 'client certificate renewal by master02 itself',
    });
  });

  it('approves a serving CSR whose SANs are the node name and InternalIP', async () => {
    expect(await decide(await servingCsr('node01', '192.168.80.11'))).toEqual({
      decision: 'approve',
      kind: 'serving',
      node: 'node01',
      reason: 'serving certificate for node01 (DNS node01, IP 192.168.80.11)',
    });
  });

  it('approves RSA requests with key encipherment, and a serving CSR with only an IP SAN', async () => {
    const rsa = await servingCsr('node02', '192.168.80.12', {
      usages: ['digital signature', 'key encipherment', 'server auth'],
      x509: { key: 'rsa-2048', dnsNames: [] },
    });
    expect(await decide(rsa)).toMatchObject({ decision: 'approve', reason: 'serving certificate for node02 (IP 192.168.80.12)' });
  });

  it('accepts the address as a DNS SAN when the inventory connects by name', async () => {
    const inv = exampleInventory({
      hosts: [{ ...aHost('node01', '192.168.80.11', ['worker']), address: 'node01.lab.example' }],
    });
    const csr = await servingCsr('node01', '192.168.80.11', { x509: { dnsNames: ['node01', 'node01.lab.example'] } });
    expect(await decide(csr, { inventory: inv })).toMatchObject({ decision: 'approve', node: 'node01' });
  });
});

describe('decideCsr: anything else is left pending with a specific reason', () => {
  const cases: ReadonlyArray<[string, () => Promise<CsrObject>, string]> = [
    ['wrong CN prefix', () => bootstrapClientCsr('node01', 'abcdef', { x509: { commonName: 'node01' } }), 'subject CN node01 does not start with system:node:'],
    ['CN not equal to the requester', () => renewalClientCsr('node01', { username: 'system:node:node02' }), 'requester system:node:node02 is not the CSR\'s subject system:node:node01'],
    ['node not in the inventory', () => bootstrapClientCsr('intruder01'), `node intruder01 is not a worker or control-plane host of ${SOURCE}`],
    ['extra DNS SAN on a serving CSR', () => servingCsr('node01', '192.168.80.11', { x509: { dnsNames: ['node01', 'kubernetes.default'] } }), 'SAN DNS kubernetes.default is not a name of node01 (node01)'],
    ['foreign IP SAN', () => servingCsr('node01', '10.9.9.9'), 'SAN IP 10.9.9.9 is not an address of node01 (192.168.80.11)'],
    ['another node\'s IP', () => servingCsr('node01', '192.168.80.12'), 'SAN IP 192.168.80.12 is not an address of node01 (192.168.80.11)'],
    ['email SAN', () => servingCsr('node01', '192.168.80.11', { x509: { emails: ['root@node01'] } }), 'serving CSRs must not carry email SANs; this one has root@node01'],
    ['URI SAN', () => servingCsr('node01', '192.168.80.11', { x509: { uris: ['spiffe://cluster/ns/x'] } }), 'serving CSRs must not carry URI SANs; this one has spiffe://cluster/ns/x'],
    ['serving CSR without SANs', () => servingCsr('node01', '192.168.80.11', { x509: { dnsNames: [], ipAddresses: [] } }), 'serving CSR has no DNS or IP SAN'],
    ['O system:masters', () => bootstrapClientCsr('node01', 'abcdef', { x509: { organizations: ['system:masters'] } }), 'subject O must be exactly [system:nodes], got [system:masters]'],
    ['extra O', () => renewalClientCsr('node01', { x509: { organizations: ['system:nodes', 'system:masters'] } }), 'subject O must be exactly [system:nodes], got [system:nodes, system:masters]'],
    ['extra subject attribute', () => renewalClientCsr('node01', { x509: { extraSubject: [{ OU: ['ops'] }] } }), 'subject has attributes a kubelet never sets: OU=ops'],
    ['extra usage', () => bootstrapClientCsr('node01', 'abcdef', { usages: ['digital signature', 'client auth', 'server auth'] }), 'usages [digital signature, client auth, server auth] are not exactly {digital signature, client auth}'],
    ['key encipherment with an ECDSA key', () => servingCsr('node01', '192.168.80.11', { usages: ['digital signature', 'key encipherment', 'server auth'] }), 'usages [digital signature, key encipherment, server auth] include key encipherment, which only RSA keys may request (key is ecdsa-p256)'],
    ['client usage on a serving CSR', () => servingCsr('node01', '192.168.80.11', { usages: ['digital signature', 'client auth'] }), 'usages [digital signature, client auth] are not exactly {digital signature, server auth}'],
    ['client CSR with SANs', () => bootstrapClientCsr('node01', 'abcdef', { x509: { dnsNames: ['node01'], ipAddresses: ['192.168.80.11'] } }), 'client CSRs must not carry SANs; this one has DNS node01, IP 192.168.80.11'],
    ['expiry too long', () => renewalClientCsr('node01', { expirationSeconds: 400 * 86400 }), 'spec.expirationSeconds 34560000 (400d) exceeds the maximum 31536000 (365d, pki.csrMaxExpirationDays)'],
    ['serving CSR from the bootstrap identity', () => servingCsr('node01', '192.168.80.11', { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] }), 'serving CSRs must come from the node\'s own identity system:node:node01, not the bootstrap identity system:bootstrap:abcdef'],
    ['bootstrap token kubesmith did not issue', () => bootstrapClientCsr('node01', 'zzzzzz'), 'bootstrap token zzzzzz is not one kubesmith issued (abcdef)'],
    ['bootstrap requester outside system:bootstrappers', () => bootstrapClientCsr('node01', 'abcdef', { groups: ['system:authenticated'] }), 'requester system:bootstrap:abcdef is not in group system:bootstrappers'],
    ['renewal requester outside system:nodes', () => renewalClientCsr('node01', { groups: ['system:authenticated'] }), 'requester system:node:node01 is not in group system:nodes'],
    ['requester is a service account', () => renewalClientCsr('node01', { username: 'system:serviceaccount:kube-system:default' }), 'requester system:serviceaccount:kube-system:default is neither a bootstrap token nor a node identity'],
    ['bad signature', () => servingCsr('node01', '192.168.80.11', { x509: { corruptSignature: true } }), 'the CSR self-signature does not verify (altered, or not signed by its own key)'],
    ['weak RSA key', () => renewalClientCsr('node01', { x509: { key: 'rsa-1024' } }), 'public key rsa-1024 is not accepted (ECDSA P-256/P-384 or RSA >= 2048 bits)'],
  ];

  it.each(cases)('%s', async (_label, make, reason) => {
    const csr = await make();
    const d = await decide(csr);
    expect(d.decision).toBe('ignore');
    expect(d.reason).toBe(reason);
    expect(d.kind).toBe(csr.signerName.endsWith('kubelet-serving') ? 'serving' : 'client');
    // The same CSR is denied, with the same reason, only when the operator asks for it.
    expect(await decide(csr, { denyUnknown: true })).toEqual({ ...d, decision: 'deny' });
  });

  it('never judges CSRs of other signers, even with denyUnknown', async () => {
    const csr = await renewalClientCsr('node01', { signerName: 'kubernetes.io/kube-apiserver-client' });
    expect(await decide(csr, { denyUnknown: true })).toEqual({
      decision: 'ignore',
      kind: 'other',
      reason: 'signer kubernetes.io/kube-apiserver-client is not a kubelet signer; left for its own approver',
    });
  });

  it('reports garbage in spec.request', async () => {
    const csr = { ...(await renewalClientCsr('node01')), request: Buffer.from('not a csr').toString('base64') };
    const d = await decide(csr);
    expect(d.decision).toBe('ignore');
    expect(d.reason).toMatch(/^spec\.request is not a valid PKCS#10 CSR: /);
  });
});

describe('decideCsr: finished CSRs are done', () => {
  it('says approved-and-issued, approved-waiting and denied apart', async () => {
    const base = await bootstrapClientCsr('node01');
    const approved = { ...base, conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }] };
    expect(await decide(approved)).toEqual({ decision: 'done', kind: 'client', node: 'node01', reason: 'already approved (AutoApproved); waiting for the signer' });
    expect(await decide({ ...approved, certificate: 'LS0t' })).toMatchObject({ decision: 'done', reason: 'approved and issued' });
    const denied = { ...base, conditions: [{ type: 'Denied', status: 'True', reason: 'KubesmithDeny' }] };
    expect(await decide(denied)).toMatchObject({ decision: 'done', reason: 'already denied (KubesmithDeny)' });
  });

  it('takes an issued CSR\'s node from its certificate, without parsing the request', async () => {
    // The request is garbage: only the issued certificate (openssl, CN system:node:node02) can name the node.
    const cert = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/O=system:nodes/CN=system:node:node02', '-days', '1'], { encoding: 'utf8' });
    const base = { ...(await servingCsr('node01', '192.168.80.11')), request: 'bm90IGEgQ1NS', conditions: [{ type: 'Approved', status: 'True', reason: 'KubesmithApprove' }] };
    expect(await decide({ ...base, certificate: Buffer.from(cert).toString('base64') })).toEqual({ decision: 'done', kind: 'serving', node: 'node02', reason: 'approved and issued' });
    // A certificate that does not parse falls back to the request (here: none to read).
    expect(await decide({ ...base, certificate: 'LS0t' })).toEqual({ decision: 'done', kind: 'serving', reason: 'approved and issued' });
  });
});

describe('parseCsr', () => {
  it('reads a kubelet serving CSR as plain data (PEM, base64 PEM and base64 DER)', async () => {
    const req = await requestField({
      commonName: 'system:node:node01',
      organizations: ['system:nodes'],
      dnsNames: ['node01'],
      ipAddresses: ['192.168.80.11', '2001:db8:0:0::11'],
    });
    const pem = Buffer.from(req, 'base64').toString('utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
    for (const input of [pem, req, der]) {
      expect(await parseCsr(input)).toEqual({
        subject: { commonName: 'system:node:node01', organizations: ['system:nodes'], others: [] },
        dnsNames: ['node01'],
        ipAddresses: ['192.168.80.11', '2001:db8::11'],
        emails: [],
        uris: [],
        otherNames: [],
        publicKeyAlgorithm: 'ecdsa-p256',
        isRsa: false,
        signatureValid: true,
        extensions: ['2.5.29.17'],
      });
    }
  });

  it('judgeCsr is usable without parsing for finished CSRs', async () => {
    const csr = { ...(await renewalClientCsr('node01')), certificate: 'x' };
    expect(judgeCsr(csr, undefined, ctx).decision).toBe('done');
  });
});

describe('parseCsr PEM tolerance', () => {
  // Go's pem.Decode accepts blank lines and headers inside a block; an approver must not be stricter
  // than the apiserver that stored the request.
  it('reads a PEM block with a blank line before END and CRLF line ends', async () => {
    const pem = Buffer.from(await requestField({ commonName: 'system:node:node01', organizations: ['system:nodes'] }), 'base64').toString('utf8');
    const odd = pem.replace('\n-----END', '\n\n-----END').replace(/\n/g, '\r\n');
    const parsed = await parseCsr(odd);
    expect(parsed.subject.commonName).toBe('system:node:node01');
    expect(parsed.signatureValid).toBe(true);
  });
});
