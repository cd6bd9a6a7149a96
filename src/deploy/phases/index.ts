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

/** connect -> lock -> gather-facts -> preflight -> prepare-hosts -> binaries -> certificates -> etcd -> control-plane -> nodes -> verify. */
export const APPLY_PHASES: readonly Phase[] = [connect, lock, gatherFacts, preflight, prepareHosts, binaries, certificates, etcd, controlPlane, nodes, verify];
