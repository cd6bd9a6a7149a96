/**
 * What `pki check --remote` looks at on each host, read off the plan: every certificate file and
 * every kubeconfig the plan deploys (with the certificates the state says they hold), the
 * kubelet's own rotated certificates (kubelet --cert-dir, where serverTLSBootstrap and
 * rotateCertificates keep them), and the TLS endpoints that serve a deployed certificate. Pure.
 */
import { nodeHosts, type Inventory } from '../../inventory/types.js';
import type { ClusterPlan, PlannedHost } from '../../plan/types.js';
import { hostPart } from '../../render/endpoints.js';
import { remoteLayout } from '../../render/layout.js';
import { certKey, certKeys, pemFromData } from './pem.js';
import type { ProbeRequest } from './probe-script.js';
import type { Expectation, KubeconfigField } from './types.js';

/** kubelet's port (manifests/kubelet-config.yaml.hbs). etcd's are fixed in render/views/etcd.ts. */
export const KUBELET_PORT = 10250;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

/** The kubelet's own certificates under --cert-dir (k8s.io/client-go/util/certificate file store names). */
export const KUBELET_CERTS = [
  { certificate: 'kubelet-client', file: 'kubelet-client-current.pem' },
  { certificate: 'kubelet-serving', file: 'kubelet-server-current.pem' },
] as const;

/** One host's expectations and the request that reads them in one round trip. */
export interface HostTargets {
  readonly host: string;
  readonly address: string;
  readonly expectations: readonly Expectation[];
  readonly request: ProbeRequest;
}

const FIELDS: readonly KubeconfigField[] = ['certificate-authority-data', 'client-certificate-data'];

/** The base id of a state id ("etcd-server@cp1" -> "etcd-server"). */
const baseId = (id: string): string => id.split('@')[0] ?? id;

/** The state id of every certificate in the plan's bundle, by certificate bytes. */
function idsByCert(plan: ClusterPlan): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [id, m] of plan.pki.certs) out.set(certKey(m.certPem), id);
  return out;
}

/** The base64 values of a rendered kubeconfig's certificate fields (the same lines the probe prints). */
export function kubeconfigFields(text: string): ReadonlyMap<KubeconfigField, string> {
  const out = new Map<KubeconfigField, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(certificate-authority-data|client-certificate-data):\s+"?([A-Za-z0-9+/=]+)"?\s*$/.exec(line);
    if (m && !out.has(m[1] as KubeconfigField)) out.set(m[1] as KubeconfigField, m[2] as string);
  }
  return out;
}

function deployed(ph: PlannedHost, ids: ReadonlyMap<string, string>): Expectation[] {
  const host = ph.host.name;
  const out: Expectation[] = [];
  for (const a of ph.artifacts) {
    if (typeof a.content !== 'string') continue;
    if (a.kind === 'cert') {
      const keys = certKeys(a.content);
      if (keys.length === 0) continue; // sa.pub: a public key, not a certificate
      const stateId = ids.get(keys[0] ?? '');
      const blocks = [...a.content.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)].map((m) => m[0]);
      out.push({ host, certificate: stateId ? baseId(stateId) : (a.path.split('/').pop() ?? a.path), ...(stateId ? { stateId } : {}), source: 'file', path: a.path, expected: blocks });
    } else if (a.kind === 'kubeconfig') {
      const fields = kubeconfigFields(a.content);
      for (const field of FIELDS) {
        const data = fields.get(field);
        if (data === undefined) continue;
        const pem = pemFromData(data);
        const stateId = ids.get(certKey(pem));
        out.push({ host, certificate: stateId ? baseId(stateId) : field, ...(stateId ? { stateId } : {}), source: 'kubeconfig', path: a.path, field, expected: [pem] });
      }
    }
  }
  return out;
}

/** Served rows: each endpoint with the deployed file it should serve. */
function served(inv: Inventory, ph: PlannedHost, files: readonly Expectation[], kubeletServing: string | undefined): Expectation[] {
  const host = ph.host.name;
  const at = (port: number): string => `${hostPart(ph.host.internalIP)}:${port}`;
  const out: Expectation[] = [];
  const serving = (base: string, port: number): void => {
    const f = files.find((e) => e.source === 'file' && e.certificate === base && e.stateId !== undefined);
    if (f) out.push({ host, certificate: base, ...(f.stateId ? { stateId: f.stateId } : {}), source: 'served', endpoint: at(port), ...(f.path ? { path: f.path } : {}), ...(f.expected ? { expected: f.expected } : {}) });
  };
  if (ph.host.roles.includes('etcd')) (serving('etcd-server', ETCD_CLIENT_PORT), serving('etcd-peer', ETCD_PEER_PORT));
  if (ph.host.roles.includes('control-plane')) serving('apiserver', inv.cluster.apiServer.port);
  if (kubeletServing !== undefined) out.push({ host, certificate: 'kubelet-serving', source: 'served', endpoint: at(KUBELET_PORT), path: kubeletServing });
  return out;
}

/** Targets of every host of the plan (or of `limit`), in inventory order. */
export function remoteTargets(plan: ClusterPlan, limit?: readonly string[]): readonly HostTargets[] {
  const inv = plan.inventory;
  const ids = idsByCert(plan);
  const certDir = remoteLayout(inv).kubeletCertDir;
  const nodes = new Set(nodeHosts(inv).map((h) => h.name));
  const out: HostTargets[] = [];
  for (const ph of plan.hosts) {
    if (limit !== undefined && !limit.includes(ph.host.name)) continue;
    const files = deployed(ph, ids);
    const kubelet: Expectation[] = nodes.has(ph.host.name) ? KUBELET_CERTS.map((k) => ({ host: ph.host.name, certificate: k.certificate, source: 'kubelet', path: `${certDir}/${k.file}` })) : [];
    const expectations = [...files, ...kubelet, ...served(inv, ph, files, kubelet.find((k) => k.certificate === 'kubelet-serving')?.path)];
    const uniq = (xs: readonly (string | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => x !== undefined))];
    out.push({
      host: ph.host.name,
      address: ph.host.address,
      expectations,
      request: {
        certFiles: uniq(expectations.filter((e) => e.source === 'file' || e.source === 'kubelet').map((e) => e.path)),
        kubeconfigs: uniq(expectations.filter((e) => e.source === 'kubeconfig').map((e) => e.path)),
        endpoints: uniq(expectations.filter((e) => e.source === 'served').map((e) => e.endpoint)),
      },
    });
  }
  return out;
}
