/**
 * Turns every host's answer into report rows, in inventory order: the compared rows of a host that
 * answered, one `unreachable` row for a host that did not. Pure.
 */
import { certFactsCache } from './cert-facts.js';
import { compareHost, unreachableRow } from './compare.js';
import type { HostTargets } from './targets.js';
import type { HostFailure, HostObservation, RemoteCertRow } from './types.js';

/** One host's answer: what it showed, or the error that kept it from answering. */
export type HostAnswer = { readonly host: string; readonly observation: HostObservation } | { readonly host: string; readonly error: string };

/** The rows and the hosts that failed. `cas`: state id -> PEM of each CA, to name signers. */
export function remoteRows(targets: readonly HostTargets[], answers: readonly HostAnswer[], cas: ReadonlyMap<string, string>, now: Date): { rows: RemoteCertRow[]; failures: HostFailure[] } {
  const facts = certFactsCache(cas);
  const byHost = new Map(answers.map((a) => [a.host, a]));
  const rows: RemoteCertRow[] = [];
  const failures: HostFailure[] = [];
  for (const t of targets) {
    const a = byHost.get(t.host) ?? { host: t.host, error: 'not asked' };
    if ('error' in a) {
      const f = { host: t.host, address: t.address, error: a.error };
      failures.push(f);
      rows.push(unreachableRow(f));
    } else {
      rows.push(...compareHost(t.expectations, a.observation, facts, now));
    }
  }
  return { rows, failures };
}
