/**
 * nodes: containerd (+ runc, CNI plugins), the local apiserver proxy, kubelet and kube-proxy on
 * every worker and control-plane host. Nodes that are containers get containerd settings from
 * inventory.containerd (snapshotter, NoNewKeyring, restrict_oom_score_adj) via the renderer.
 * A unit on an expired certificate restarts at once; a kubelet whose client certificate had expired
 * does so to re-bootstrap (_expired.ts); during
 * a kubernetes CA rotation, one that trusts or holds the wrong CA for the stage too (_kubelet-rotation.ts).
 */
import type { Phase } from '../phase.js';
import { artifactsOf, unitBinaries } from './_artifacts.js';
import { gatherRunnable, serviceSteps } from './_units.js';
import { readinessProbes, verifyService } from './_readiness.js';
import { withImageImports } from './_image-imports.js';
import { NODES_ROLLING } from './_rolling.js';
import { expiryWarnings, phaseExpiry, restartForExpiry } from './_expired.js';
import { kubeletRotation, kubeletTrustFacts, rebootstrapForRotation } from './_kubelet-rotation.js';

/** Installs and starts the node components. */
export const nodes: Phase = {
  id: 'nodes',
  title: 'Install nodes',
  rolling: NODES_ROLLING,
  hosts: (plan) => plan.hosts.filter((h) => artifactsOf(h, 'nodes').length > 0),
  gather: async (host, { host: planned, plan, facts }, ctx) => ({ ...(await gatherRunnable(host, facts, [...unitBinaries(planned, 'nodes').values()], ctx)), ...(await kubeletTrustFacts(host, plan, ctx)) }),
  check: (input) => expiryWarnings(phaseExpiry(input, 'nodes')),
  plan: (input) => withImageImports(rebootstrapForRotation(restartForExpiry(serviceSteps(input.host, 'nodes', input.facts), phaseExpiry(input, 'nodes')), kubeletRotation(input)), input),
  firstLook: (input) => readinessProbes(input, 'nodes'),
  verify: (host, input, ctx) => verifyService(host, input, 'nodes', ctx),
};
