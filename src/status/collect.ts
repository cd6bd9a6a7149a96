/**
 * Gathers every section of `kubesmith status` from injected sources (API clients per apiserver,
 * host readers per etcd member, the local PKI rows) and judges the whole. Sections are gathered
 * concurrently and fail independently: an error becomes a row or a section error, never a throw.
 */
import type { Inventory } from '../inventory/types.js';
import type { KubeClient } from '../kube/client.js';
import type { CheckRow } from '../pki/check.js';
import { rfc3339 } from '../pki/bootstrap-token.js';
import type { BootstrapToken } from '../pki/types.js';
import { collectLeaders, errorText, probeApiserver, type ApiserverTarget } from './api-sections.js';
import { certSection, CERT_WARN_DAYS } from './certs.js';
import { collectCsrs } from './csrs.js';
import { collectEtcd, type EtcdctlPaths, type EtcdTarget } from './etcd.js';
import { collectNodes } from './nodes.js';
import type { ApiserverRow, CertSection, CsrSection, LeaderRow, NodeRow, RemoteCertSection, StatusReport } from './types.js';
import { findings, NO_API } from './verdict.js';

/** Everything the collectors read. */
export interface StatusSources {
  readonly inventory: Inventory;
  readonly now: Date;
  /** One per control-plane host (through SSH), or the single --server. */
  readonly apiservers: readonly ApiserverTarget[];
  /** One per etcd member, or why etcd is not checked. */
  readonly etcd: readonly EtcdTarget[] | { readonly skipped: string };
  readonly etcdPaths: EtcdctlPaths;
  readonly token?: BootstrapToken;
  /** `pki check` rows from the local state; may throw (unreadable state). */
  readonly pkiRows: () => readonly CheckRow[];
  /** The certificates on the hosts status already connects to (`pki check --remote`'s probe); may reject. */
  readonly remoteCerts?: () => Promise<RemoteCertSection>;
  readonly warnDays?: number;
  readonly signal?: AbortSignal;
}

/** The client the cluster-wide sections use: the first ready apiserver, else the first that has a client. */
function pickClient(targets: readonly ApiserverTarget[], rows: readonly ApiserverRow[]): { client?: KubeClient; row?: ApiserverRow } {
  const usable = targets.map((t, i) => ({ t, row: rows[i] })).filter((x) => !(x.t.client instanceof Error));
  const best = usable.find((x) => x.row?.ready) ?? usable[0];
  return best ? { client: best.t.client as KubeClient, ...(best.row ? { row: best.row } : {}) } : {};
}

async function settle<T>(work: () => Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await work() };
  } catch (err) {
    return { error: errorText(err) };
  }
}

function certs(src: StatusSources): CertSection {
  try {
    return certSection(src.pkiRows(), src.warnDays ?? CERT_WARN_DAYS);
  } catch (err) {
    return { total: 0, ok: 0, warnDays: src.warnDays ?? CERT_WARN_DAYS, attention: [], error: errorText(err) };
  }
}

/** Collects the report; never throws for an unreachable host or API. */
export async function collectStatus(src: StatusSources): Promise<StatusReport> {
  const etcdWork = 'skipped' in src.etcd ? Promise.resolve(undefined) : collectEtcd(src.etcd, src.etcdPaths, src.signal);
  const remoteWork = src.remoteCerts?.().catch((err: unknown): RemoteCertSection => ({ hosts: [], totalHosts: src.inventory.hosts.length, places: 0, inSync: 0, attention: [], error: errorText(err) }));
  const apiservers = await Promise.all(src.apiservers.map(probeApiserver));
  const { client, row } = pickClient(src.apiservers, apiservers);
  const none = NO_API;
  const [version, leaders, nodes, csrs] = await Promise.all([
    client ? settle(() => client.call<{ gitVersion?: string }>('GET', '/version')) : Promise.resolve({ error: none }),
    client ? collectLeaders(client, src.now) : Promise.resolve<readonly LeaderRow[]>([]),
    client ? settle(() => collectNodes(client, src.inventory, src.now)) : Promise.resolve({ error: none }),
    client ? settle(() => collectCsrs(client, src.inventory, src.token ? [src.token.id] : [], src.now)) : Promise.resolve({ error: none }),
  ]);
  const etcdMembers = await etcdWork;
  const remote = await remoteWork;
  const emptyCsrs: CsrSection = { pending: 0, approvable: 0, leftForHuman: 0, rows: [] };
  const sections: Omit<StatusReport, 'healthy' | 'problems' | 'warnings'> = {
    endpoint: client?.endpoint ?? '-',
    identity: client?.identity ?? '-',
    version: 'value' in version ? (version.value.gitVersion ?? '<unknown>') : '<unknown>',
    readyz: { ok: row?.ready ?? false, detail: row?.detail ?? none },
    apiservers,
    etcd: 'skipped' in src.etcd ? { members: [], skipped: src.etcd.skipped } : { members: etcdMembers ?? [] },
    leaders: leaders.length > 0 ? leaders : [{ component: 'leader election', expired: true, error: none }],
    nodes: 'value' in nodes ? nodes.value : ([] as readonly NodeRow[]),
    ...('error' in nodes ? { nodesError: nodes.error } : {}),
    csrs: 'value' in csrs ? csrs.value : { ...emptyCsrs, error: csrs.error },
    ...(src.token ? { token: { id: src.token.id, expires: rfc3339(src.token.expires), expired: src.token.expires.getTime() <= src.now.getTime() } } : {}),
    certificates: { ...certs(src), ...(remote ? { remote } : {}) },
  };
  const f = findings(sections);
  return { healthy: f.problems.length === 0, ...f, ...sections };
}
