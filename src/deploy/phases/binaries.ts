/**
 * binaries: the release binaries each host's roles need, streamed from the verified bundle through
 * the shared upload queue. Restarts happen later, in the phase that owns the unit, and only when
 * the binary changed (artifact.restarts + the pending-restart marker).
 */
import type { Phase } from '../phase.js';
import { putSteps } from '../steps.js';
import { artifactsOf } from './_artifacts.js';

/** Ships every binary artifact. */
export const binaries: Phase = {
  id: 'binaries',
  title: 'Install binaries',
  hosts: (plan) => plan.hosts.filter((h) => artifactsOf(h, 'binaries').length > 0),
  plan: ({ host }) => putSteps(artifactsOf(host, 'binaries')),
};
