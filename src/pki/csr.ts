/**
 * Decides what to do with a kubelet CertificateSigningRequest, strictly against the inventory
 * (pki-spec.md §2.4-2.5, §6). Pure apart from the CSR parse. A CSR that fails a check is left
 * pending for a human ('ignore'), or denied only when the caller asks for it (denyUnknown), as
 * kube-controller-manager's own approver does (it never denies, sarapprove.go).
 */
import { nodeHosts, type Inventory, type InventoryHost } from '../inventory/types.js';
import { formatIp, isIp, parseIp } from '../shared/net.js';
import type { ParsedCsr } from './_x509-csr.js';
import { readCert } from './x509-read.js';

/** Signer of kubelet client certificates (auto-approved by kube-controller-manager through RBAC). */
export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
/** Signer of kubelet serving certificates (never auto-approved). */
export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const NODE_PREFIX = 'system:node:';
const BOOTSTRAP_PREFIX = 'system:bootstrap:';
const NODES_GROUP = 'system:nodes';
const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
const OID_SAN = '2.5.29.17';

/** One status condition of a CSR (Approved, Denied, Failed). */
export interface CsrCondition {
  readonly type: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The CertificateSigningRequest fields an approver needs (certificates.k8s.io/v1). */
export interface CsrObject {
  readonly name: string;
  readonly signerName: string;
  readonly username: string;
  readonly groups: readonly string[];
  readonly usages: readonly string[];
  readonly expirationSeconds?: number;
  /** spec.request: base64 of the PEM CSR. */
  readonly request: string;
  readonly conditions: readonly CsrCondition[];
  /** status.certificate: base64 PEM, present once the signer issued it. */
  readonly certificate?: string;
}

/** What decideCsr judges against. */
export interface CsrContext {
  readonly inventory: Inventory;
  /** Longest spec.expirationSeconds accepted (pki.csrMaxExpirationDays * 86400). */
  readonly maxExpirationSeconds: number;
  /** When given, bootstrap requesters must use one of these token ids. */
  readonly bootstrapTokenIds?: readonly string[];
  /** Deny (instead of leaving pending) kubelet CSRs that fail a check. @default false */
  readonly denyUnknown?: boolean;
  /** The inventory's nodes by name (nodesByName), built once for many CSRs. @default built per CSR */
  readonly nodes?: ReadonlyMap<string, InventoryHost>;
}

/** Workers and control-plane hosts by name: a round judges a CSR or two per node, and a scan of every host per CSR was quadratic. */
export function nodesByName(inv: Inventory): ReadonlyMap<string, InventoryHost> {
  return new Map(nodeHosts(inv).map((h) => [h.name, h]));
}

/** Which kubelet certificate a CSR asks for; 'other' for any other signer. */
export type CsrKind = 'client' | 'serving' | 'other';

/** The verdict for one CSR, with a reason specific enough to act on. */
export interface CsrDecision {
  readonly decision: 'approve' | 'deny' | 'ignore' | 'done';
  readonly reason: string;
  readonly kind: CsrKind;
  readonly node?: string;
}

/**
 * Parses the CSR's request and judges it (see judgeCsr). An issued kubelet CSR needs only its node,
 * which its certificate names (the signer copies the request's subject): read with Node's own
 * parser, so a run that finds nothing left to approve (a re-apply) never loads the PKCS#10 parser,
 * @peculiar/x509, whose import alone costs about 0.4 s of CPU.
 */
export async function decideCsr(csr: CsrObject, ctx: CsrContext): Promise<CsrDecision> {
  const kind = kindOf(csr.signerName);
  if (kind === 'other') return judgeCsr(csr, undefined, ctx);
  const issued = finishedReason(csr) === ISSUED ? issuedCommonName(csr.certificate) : undefined;
  if (issued !== undefined) return { decision: 'done', reason: ISSUED, kind, ...(issued.startsWith(NODE_PREFIX) ? { node: issued.slice(NODE_PREFIX.length) } : {}) };
  try {
    const { parseCsr } = await import('./_x509-csr.js');
    return judgeCsr(csr, await parseCsr(csr.request), ctx);
  } catch (err) {
    return judgeCsr(csr, err instanceof Error ? err : new Error(String(err)), ctx);
  }
}

/** Pure judgement of an already parsed CSR (`undefined` when parsing was not needed). */
export function judgeCsr(csr: CsrObject, parsed: ParsedCsr | Error | undefined, ctx: CsrContext): CsrDecision {
  const kind = kindOf(csr.signerName);
  const finished = finishedReason(csr);
  if (finished !== undefined) {
    // The node is still worth knowing: `approve --watch` counts issued certificates per node.
    const cn = parsed instanceof Error ? undefined : parsed?.subject.commonName;
    const node = kind !== 'other' && cn?.startsWith(NODE_PREFIX) ? cn.slice(NODE_PREFIX.length) : undefined;
    return { decision: 'done', reason: finished, kind, ...(node === undefined ? {} : { node }) };
  }
  if (kind === 'other') {
    return { decision: 'ignore', kind, reason: `signer ${csr.signerName} is not a kubelet signer; left for its own approver` };
  }
  const reject = (reason: string, node?: string): CsrDecision => ({
    decision: ctx.denyUnknown === true ? 'deny' : 'ignore',
    reason,
    kind,
    ...(node === undefined ? {} : { node }),
  });
  if (parsed === undefined || parsed instanceof Error) {
    return reject(`spec.request is not a valid PKCS#10 CSR${parsed ? `: ${parsed.message}` : ''}`);
  }
  if (!parsed.signatureValid) return reject('the CSR self-signature does not verify (altered, or not signed by its own key)');
  const cn = parsed.subject.commonName;
  if (cn === undefined || !cn.startsWith(NODE_PREFIX)) return reject(`subject CN ${cn ?? '(none)'} does not start with ${NODE_PREFIX}`);
  const name = cn.slice(NODE_PREFIX.length);
  const host = (ctx.nodes ?? nodesByName(ctx.inventory)).get(name);
  if (!host) return reject(`node ${name} is not a worker or control-plane host of ${ctx.inventory.source}`);
  const problem =
    subjectProblem(parsed) ??
    requesterProblem(csr, kind, cn, ctx) ??
    (kind === 'client' ? clientSanProblem(parsed) : servingSanProblem(parsed, host)) ??
    usageProblem(csr.usages, kind, parsed) ??
    keyProblem(parsed) ??
    extensionProblem(parsed, kind) ??
    expiryProblem(csr, ctx);
  if (problem !== undefined) return reject(problem, name);
  return { decision: 'approve', kind, node: name, reason: approvalReason(csr, kind, name, parsed) };
}

const ISSUED = 'approved and issued';

/** Subject CN of status.certificate (base64 of PEM), or undefined when it does not parse. */
function issuedCommonName(certificate: string | undefined): string | undefined {
  if (certificate === undefined) return undefined;
  try {
    return readCert(Buffer.from(certificate, 'base64').toString('utf8')).commonName;
  } catch {
    return undefined;
  }
}

function kindOf(signer: string): CsrKind {
  return signer === CLIENT_SIGNER ? 'client' : signer === SERVING_SIGNER ? 'serving' : 'other';
}

const isTrue = (c: CsrCondition): boolean => c.status === undefined || c.status === 'True';

function finishedReason(csr: CsrObject): string | undefined {
  const has = (type: string): CsrCondition | undefined => csr.conditions.find((c) => c.type === type && isTrue(c));
  const denied = has('Denied');
  if (denied) return `already denied${denied.reason ? ` (${denied.reason})` : ''}`;
  const failed = has('Failed');
  if (failed) return `signing failed${failed.message ? `: ${failed.message}` : ''}`;
  if (csr.certificate) return ISSUED;
  const approved = has('Approved');
  if (approved) return `already approved${approved.reason ? ` (${approved.reason})` : ''}; waiting for the signer`;
  return undefined;
}

function subjectProblem(p: ParsedCsr): string | undefined {
  const o = p.subject.organizations;
  if (o.length !== 1 || o[0] !== NODES_GROUP) return `subject O must be exactly [${NODES_GROUP}], got [${o.join(', ')}]`;
  if (p.subject.others.length > 0) return `subject has attributes a kubelet never sets: ${p.subject.others.join(', ')}`;
  return undefined;
}

function requesterProblem(csr: CsrObject, kind: CsrKind, cn: string, ctx: CsrContext): string | undefined {
  const user = csr.username;
  if (kind === 'client' && user.startsWith(BOOTSTRAP_PREFIX)) {
    const id = user.slice(BOOTSTRAP_PREFIX.length);
    if (!csr.groups.includes(BOOTSTRAPPERS_GROUP)) return `requester ${user} is not in group ${BOOTSTRAPPERS_GROUP}`;
    const ids = ctx.bootstrapTokenIds;
    if (ids && !ids.includes(id)) return `bootstrap token ${id} is not one kubesmith issued (${ids.join(', ') || 'none'})`;
    return undefined;
  }
  if (kind === 'serving' && user.startsWith(BOOTSTRAP_PREFIX)) {
    return `serving CSRs must come from the node's own identity ${cn}, not the bootstrap identity ${user}`;
  }
  if (!user.startsWith(NODE_PREFIX)) return `requester ${user} is neither a bootstrap token nor a node identity`;
  if (user !== cn) return `requester ${user} is not the CSR's subject ${cn}`;
  if (!csr.groups.includes(NODES_GROUP)) return `requester ${user} is not in group ${NODES_GROUP}`;
  return undefined;
}

function listSans(p: ParsedCsr): string[] {
  return [
    ...p.dnsNames.map((n) => `DNS ${n}`),
    ...p.ipAddresses.map((n) => `IP ${n}`),
    ...p.emails.map((n) => `email ${n}`),
    ...p.uris.map((n) => `URI ${n}`),
    ...p.otherNames,
  ];
}

function clientSanProblem(p: ParsedCsr): string | undefined {
  const sans = listSans(p);
  return sans.length > 0 ? `client CSRs must not carry SANs; this one has ${sans.join(', ')}` : undefined;
}

/** The DNS names and IPs a node's serving certificate may carry, from the inventory. */
export function allowedServingSans(host: InventoryHost): { readonly dns: readonly string[]; readonly ips: readonly string[] } {
  const canon = (ip: string): string => {
    const p = parseIp(ip);
    return p ? formatIp(p) : ip;
  };
  const dns = [host.name, ...(isIp(host.address) ? [] : [host.address.toLowerCase()])];
  const ips = [canon(host.internalIP), ...(isIp(host.address) ? [canon(host.address)] : [])];
  return { dns: [...new Set(dns)], ips: [...new Set(ips)] };
}

function servingSanProblem(p: ParsedCsr, host: InventoryHost): string | undefined {
  if (p.emails.length > 0) return `serving CSRs must not carry email SANs; this one has ${p.emails.join(', ')}`;
  if (p.uris.length > 0) return `serving CSRs must not carry URI SANs; this one has ${p.uris.join(', ')}`;
  if (p.otherNames.length > 0) return `serving CSRs may only carry DNS and IP SANs; this one has ${p.otherNames.join(', ')}`;
  if (p.dnsNames.length + p.ipAddresses.length === 0) return 'serving CSR has no DNS or IP SAN';
  const allowed = allowedServingSans(host);
  const badDns = p.dnsNames.find((n) => !allowed.dns.includes(n.toLowerCase()));
  if (badDns !== undefined) return `SAN DNS ${badDns} is not a name of ${host.name} (${allowed.dns.join(', ')})`;
  const badIp = p.ipAddresses.find((ip) => !allowed.ips.includes(ip));
  if (badIp !== undefined) return `SAN IP ${badIp} is not an address of ${host.name} (${allowed.ips.join(', ')})`;
  return undefined;
}

function usageProblem(usages: readonly string[], kind: CsrKind, p: ParsedCsr): string | undefined {
  const auth = kind === 'client' ? 'client auth' : 'server auth';
  const want = ['digital signature', auth];
  const got = [...new Set(usages)].sort();
  const text = `[${usages.join(', ')}]`;
  if (got.includes('key encipherment') && !p.isRsa) {
    return `usages ${text} include key encipherment, which only RSA keys may request (key is ${p.publicKeyAlgorithm})`;
  }
  const exact = [...want, ...(p.isRsa && got.includes('key encipherment') ? ['key encipherment'] : [])].sort();
  if (got.length !== exact.length || got.some((u, i) => u !== exact[i]) || got.length !== usages.length) {
    return `usages ${text} are not exactly {${want.join(', ')}}${p.isRsa ? ' (+ key encipherment for RSA)' : ''}`;
  }
  return undefined;
}

function keyProblem(p: ParsedCsr): string | undefined {
  const alg = p.publicKeyAlgorithm;
  const ok = alg === 'ecdsa-p256' || alg === 'ecdsa-p384' || (p.isRsa && Number(alg.slice(4)) >= 2048);
  return ok ? undefined : `public key ${alg} is not accepted (ECDSA P-256/P-384 or RSA >= 2048 bits)`;
}

function extensionProblem(p: ParsedCsr, kind: CsrKind): string | undefined {
  // The in-tree signer drops requested extensions anyway (signer.go), but a kubelet only ever asks
  // for subjectAltName, so anything else means the request was not made by a kubelet.
  const extra = p.extensions.filter((oid) => !(oid === OID_SAN && kind === 'serving'));
  return extra.length > 0 ? `requests extensions a kubelet never sends: ${extra.join(', ')}` : undefined;
}

function expiryProblem(csr: CsrObject, ctx: CsrContext): string | undefined {
  const s = csr.expirationSeconds;
  if (s === undefined || s <= ctx.maxExpirationSeconds) return undefined;
  const days = (n: number): string => `${Math.round((n / 86400) * 10) / 10}d`;
  return `spec.expirationSeconds ${s} (${days(s)}) exceeds the maximum ${ctx.maxExpirationSeconds} (${days(ctx.maxExpirationSeconds)}, pki.csrMaxExpirationDays)`;
}

function approvalReason(csr: CsrObject, kind: CsrKind, name: string, p: ParsedCsr): string {
  if (kind === 'serving') return `serving certificate for ${name} (${listSans(p).join(', ')})`;
  if (csr.username.startsWith(BOOTSTRAP_PREFIX)) {
    return `client certificate for ${name}, requested with bootstrap token ${csr.username.slice(BOOTSTRAP_PREFIX.length)}`;
  }
  return `client certificate renewal by ${name} itself`;
}
