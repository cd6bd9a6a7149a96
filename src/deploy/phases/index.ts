/** APPLY_PHASES: the ordered list is the program `kubesmith apply` runs. */
import type { Phase } from '../phase.js';
import { connect } from './connect.js';
import { lock } from './lock.js';
import { gatherFacts } from './gather-facts.js';
import { preflight } from './preflight.js';
import { prepareHosts } from './prepare-hosts.js';
import { binaries } from './binaries.js';
import { certificates } from './certificates.js';
import { etcd } from './etcd.js';
import { controlPlane } from './control-plane.js';
import { nodes } from './nodes.js';
import { verify } from './verify.js';
import { clusterBootstrapPhase } from './cluster-bootstrap.js';
import { approveKubeletCsrsPhase, type ApproveLoopOptions } from './approve-kubelet-csrs.js';
import type { ApiAccess } from './_api-access.js';
import { upgradeDrain, type UpgradeDrainOptions } from './_upgrade-drain.js';
import { InternalError } from '../../shared/errors.js';

/** connect -> lock -> gather-facts -> preflight -> prepare-hosts -> binaries -> certificates -> etcd -> control-plane -> nodes -> verify. */
export const APPLY_PHASES: readonly Phase[] = [connect, lock, gatherFacts, preflight, prepareHosts, binaries, certificates, etcd, controlPlane, nodes, verify];

/** kubectl drain's defaults and apply's --drain-timeout default. */
export const DEFAULT_UPGRADE_DRAIN: UpgradeDrainOptions = { drainTimeoutMs: 300_000, force: false, deleteEmptyDirData: false };

/**
 * The apply program with the API phases: cluster-bootstrap after control-plane (token, RBAC,
 * add-ons through the apiserver) and approve-kubelet-csrs after nodes. `kubesmith apply` runs this.
 * During a Kubernetes upgrade the nodes' rollout cordons and drains each node before its kubelet
 * is replaced (`drain: false`: apply --no-drain).
 */
export function applyPhases(access: ApiAccess, approve: ApproveLoopOptions = {}, drain: UpgradeDrainOptions | false = DEFAULT_UPGRADE_DRAIN): readonly Phase[] {
  return APPLY_PHASES.flatMap((p) => {
    if (p.id === 'control-plane') return [p, clusterBootstrapPhase(access)];
    if (p.id === 'nodes') {
      const withGuard = drain && p.rolling ? { ...p, rolling: { ...p.rolling, guard: upgradeDrain(access, drain) } } : p;
      return [withGuard, approveKubeletCsrsPhase(access, approve)];
    }
    return [p];
  });
}

/**
 * The whole program as `kubesmith plan` lists it, API phases included. plan never runs a phase,
 * so its API access refuses to open anything.
 */
export const APPLY_PROGRAM: readonly Phase[] = applyPhases({
  open: () => Promise.reject(new InternalError('kubesmith plan does not run phases')),
});
