/**
 * What `pki check --remote` and `status` compare hosts with: the plan built from the PKI state as
 * stored (state/pki-inspect reads without writing, bundleFromState issues and renews nothing), its
 * per-host certificate targets, and the state's CA certificates that name signers.
 */
import type { Inventory } from '../inventory/types.js';
import { buildPlan } from '../plan/build-plan.js';
import { bundleFromState, signerCas } from '../pki/remote/state-bundle.js';
import { remoteTargets, type HostTargets } from '../pki/remote/targets.js';
import { createEngine, type TemplateEngine } from '../render/engine.js';
import { loadCatalogue } from '../state/load-catalogue.js';
import { loadTemplates } from '../state/load-templates.js';
import { inspectPkiState } from '../state/pki-inspect.js';
import { pkiStateDir } from '../state/pki-store.js';

/** Targets of the hosts in `limit` (every host when absent), the CAs, and state-level problems. */
export interface RemoteCertPlan {
  readonly targets: readonly HostTargets[];
  /** state id -> PEM of each CA certificate. */
  readonly cas: ReadonlyMap<string, string>;
  /** Problems of the state directory itself (permissions, an interrupted save). */
  readonly notes: readonly string[];
}

/** The template every kubeconfig is rendered from (render/files-node.ts, files-control-plane.ts). */
export const KUBECONFIG_TEMPLATE = 'manifests/kubeconfig.yaml.hbs';

/**
 * An engine that renders only kubeconfigs: certificate files are copied from the bundle without a
 * template, so the plan's certificate and kubeconfig artifacts come out exactly as `plan` renders
 * them, while units, configs and add-on manifests (most of the compile and render time: 0.5 s of
 * CPU for a 3-host check) come out empty and are never looked at.
 * test/cli/remote-cert-plan.test.ts proves the targets equal those of the full plan.
 */
export function certificatesOnly(engine: TemplateEngine): TemplateEngine {
  return { render: (name, view) => (name === KUBECONFIG_TEMPLATE ? engine.render(name, view) : '') };
}

/** Reads the state and plans; throws a PkiError when the state lacks a certificate the plan needs. */
export function remoteCertPlan(inv: Inventory, limit?: readonly string[]): RemoteCertPlan {
  // Read-only on purpose, as `pki check`: loadPkiState would finish an interrupted save.
  const { state, notes } = inspectPkiState(pkiStateDir(inv));
  const catalogue = loadCatalogue();
  const bundle = bundleFromState(inv, catalogue, state);
  const templates = loadTemplates();
  const plan = buildPlan({ inventory: inv, pki: bundle, pkiDecisions: [], templates, engine: certificatesOnly(createEngine(templates)) });
  const cas = signerCas(inv, bundle);
  return { targets: remoteTargets(plan, limit), cas, notes };
}
