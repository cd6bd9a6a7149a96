/**
 * The sections read from the Kubernetes API: /readyz per apiserver and the leader-election Leases
 * of kube-controller-manager and kube-scheduler. Read-only (GET); failures become rows.
 */
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import type { ApiserverRow, LeaderRow } from './types.js';

/** A client for one apiserver, or why none could be made (SSH refused, host unknown...). */
export interface ApiserverTarget {
  readonly host: string;
  readonly client: KubeClient | Error;
}

/** The components that elect a leader through a Lease in kube-system (their --leader-elect default). */
export const LEADER_COMPONENTS = ['kube-controller-manager', 'kube-scheduler'] as const;

/** First line of an error, for a table cell; a leading "<host>: " is dropped (the row names the host). */
export function errorText(err: unknown, host?: string): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return host !== undefined && line.startsWith(`${host}: `) ? line.slice(host.length + 2) : line;
}

/** The failed checks of a /readyz body ("[-]etcd failed: reason withheld"), else its last line. */
export function readyzDetail(status: number, body: string): string {
  const lines = body.split('\n').map((l) => l.trim()).filter(Boolean);
  if (status === 200) return lines.at(-1) ?? 'ok';
  const failed = lines.filter((l) => l.startsWith('[-]'));
  return `HTTP ${status}${failed.length > 0 ? `: ${failed.join('; ')}` : lines.length > 0 ? `: ${lines.at(-1)}` : ''}`;
}

/** GET /readyz through one apiserver; never throws. */
export async function probeApiserver(t: ApiserverTarget): Promise<ApiserverRow> {
  if (t.client instanceof Error) return { host: t.host, endpoint: '-', ready: false, detail: errorText(t.client, t.host) };
  try {
    const res = await t.client.probe('/readyz');
    return { host: t.host, endpoint: t.client.endpoint, ready: res.status === 200, detail: readyzDetail(res.status, res.body) };
  } catch (err) {
    return { host: t.host, endpoint: t.client.endpoint, ready: false, detail: errorText(err, t.host) };
  }
}

interface Lease extends KubeObject {
  readonly spec?: {
    readonly holderIdentity?: string;
    readonly renewTime?: string;
    readonly leaseDurationSeconds?: number;
  };
}

/** The Lease kube-system/<component> (coordination.k8s.io/v1) as a row; missing or stale leases are flagged. */
export async function leaderRow(client: KubeClient, component: string, now: Date): Promise<LeaderRow> {
  try {
    const lease = await client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${component}`);
    if (!lease) return { component, expired: true, error: 'no Lease: the component has never been leader (is it running with --leader-elect?)' };
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime === undefined ? Number.NaN : Date.parse(spec.renewTime);
    const ago = Number.isNaN(renewed) ? undefined : Math.max(0, Math.round((now.getTime() - renewed) / 1000));
    // A leader renews well within leaseDurationSeconds (15s by default); past it, nobody leads.
    const expired = !spec.holderIdentity || ago === undefined || ago > (spec.leaseDurationSeconds ?? 15);
    return {
      component,
      ...(spec.holderIdentity ? { holder: spec.holderIdentity } : {}),
      ...(spec.renewTime === undefined ? {} : { renewTime: spec.renewTime }),
      ...(ago === undefined ? {} : { renewedAgoSeconds: ago }),
      ...(spec.leaseDurationSeconds === undefined ? {} : { leaseDurationSeconds: spec.leaseDurationSeconds }),
      expired,
    };
  } catch (err) {
    return { component, expired: true, error: errorText(err) };
  }
}

/** Both leader rows. */
export function collectLeaders(client: KubeClient, now: Date): Promise<readonly LeaderRow[]> {
  return Promise.all(LEADER_COMPONENTS.map((c) => leaderRow(client, c, now)));
}
