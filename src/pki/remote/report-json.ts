/**
 * The `--json` shape of `pki check --remote`, versioned by `kind` so scripts can rely on it:
 *
 *   { kind: "kubesmith.pki-check-remote/v1", cluster, checkedAt, warnWithinSeconds | null,
 *     hosts: [{ host, address, reachable, error? }],
 *     certificates: [{ host, certificate, stateId?, source, location, status, expires?,
 *                      residualSeconds?, signer?, count?, attention, detail? }],
 *     summary: { hosts, unreachable, certificates, attention } }
 *
 * source: file | kubeconfig | served | kubelet | host; status: the sync column (types.ts).
 * `attention` is what makes the command exit 1. Pure.
 */
import { needsAttention } from './compare.js';
import type { HostFailure, RemoteCertRow } from './types.js';

/** The `kind` of the document; a new major shape gets a new suffix. */
export const REMOTE_JSON_KIND = 'kubesmith.pki-check-remote/v1';

/** Builds the JSON document (an object; the caller stringifies it). */
export function remoteReportJson(input: {
  readonly cluster: string;
  readonly now: Date;
  readonly warnMs?: number;
  readonly hosts: readonly { readonly host: string; readonly address: string }[];
  readonly failures: readonly HostFailure[];
  readonly rows: readonly RemoteCertRow[];
}): object {
  const failed = new Map(input.failures.map((f) => [f.host, f]));
  const certificates = input.rows.map((r) => ({
    host: r.host,
    certificate: r.certificate,
    ...(r.stateId !== undefined ? { stateId: r.stateId } : {}),
    source: r.source,
    location: r.location,
    status: r.status,
    ...(r.expires ? { expires: r.expires.toISOString() } : {}),
    ...(r.residualMs !== undefined ? { residualSeconds: Math.floor(r.residualMs / 1000) } : {}),
    ...(r.signer !== undefined ? { signer: r.signer } : {}),
    ...(r.count !== undefined ? { count: r.count } : {}),
    attention: needsAttention(r, input.warnMs),
    ...(r.detail !== undefined ? { detail: r.detail } : {}),
  }));
  return {
    kind: REMOTE_JSON_KIND,
    cluster: input.cluster,
    checkedAt: input.now.toISOString(),
    warnWithinSeconds: input.warnMs === undefined ? null : Math.floor(input.warnMs / 1000),
    hosts: input.hosts.map((h) => {
      const f = failed.get(h.host);
      return { host: h.host, address: h.address, reachable: f === undefined, ...(f ? { error: f.error } : {}) };
    }),
    certificates,
    summary: { hosts: input.hosts.length, unreachable: input.failures.length, certificates: certificates.length, attention: certificates.filter((c) => c.attention).length },
  };
}
