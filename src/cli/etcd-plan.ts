/**
 * The plan `etcd snapshot` and `etcd restore` run on: built from the PKI state exactly as stored
 * (state/pki-inspect reads without writing; bundleFromState issues and renews nothing), so these
 * commands never write PKI material. The snapshot needs only the certificate paths (the engine
 * that renders kubeconfigs only, as `pki check --remote`); restore renders the etcd config and unit.
 */
import type { Inventory } from '../inventory/types.js';
import { buildPlan } from '../plan/build-plan.js';
import type { ClusterPlan } from '../plan/types.js';
import { bundleFromState } from '../pki/remote/state-bundle.js';
import { createEngine } from '../render/engine.js';
import { StateError } from '../shared/errors.js';
import { loadCatalogue } from '../state/load-catalogue.js';
import { loadTemplates } from '../state/load-templates.js';
import { inspectPkiState } from '../state/pki-inspect.js';
import { pkiStateDir } from '../state/pki-store.js';
import { etcdCertMismatches } from '../pki/etcd-member-certs.js';
import { certificatesOnly } from './remote-cert-plan.js';

/** The plan from the stored state; `full` renders every file (restore), else certificates only. */
export function etcdPlan(inv: Inventory, full: boolean): ClusterPlan {
  const { state } = inspectPkiState(pkiStateDir(inv));
  const catalogue = loadCatalogue();
  const templates = loadTemplates();
  const engine = createEngine(templates);
  return buildPlan({ inventory: inv, pki: bundleFromState(inv, catalogue, state), pkiDecisions: [], templates, engine: full ? engine : certificatesOnly(engine) });
}

/** Refuses a restore whose members' certificates do not name their current addresses. */
export function refuseMismatchedEtcdCerts(inv: Inventory, now: Date): void {
  const { state } = inspectPkiState(pkiStateDir(inv));
  const bad = etcdCertMismatches(loadCatalogue(), inv, state, now);
  if (bad.length === 0) return;
  const hosts = [...new Set(bad.map((b) => b.host))];
  throw new StateError(`etcd restore: the certificates of ${hosts.join(', ')} do not match ${hosts.length === 1 ? 'its' : 'their'} inventory address; nothing was touched`, {
    detail: bad.map((b) => `${b.id}: ${b.reason}`),
    hint: `a member host replaced by one with a new IP needs new etcd server and peer certificates: run \`kubesmith pki generate -i ${inv.source}\` (re-issues them for the new address), then run the restore again`,
  });
}
