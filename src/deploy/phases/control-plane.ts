/**
 * control-plane: kube-apiserver, kube-controller-manager, kube-scheduler (and the VIP load
 * balancer units on loadbalancer hosts): files, units, start, readiness (/readyz, /healthz).
 * A unit whose certificates had expired restarts at once, not in the rolling restart (_expired.ts).
 */
import type { Phase } from '../phase.js';
import { artifactsOf, unitBinaries } from './_artifacts.js';
import { gatherRunnable, serviceSteps } from './_units.js';
import { readinessProbes, verifyService } from './_readiness.js';
import { CONTROL_PLANE_ROLLING } from './_rolling.js';
import { expiryWarnings, phaseExpiry, restartForExpiry } from './_expired.js';

/** Installs and starts the control plane. */
export const controlPlane: Phase = {
  id: 'control-plane',
  title: 'Install control plane',
  rolling: CONTROL_PLANE_ROLLING,
  hosts: (plan) => plan.hosts.filter((h) => artifactsOf(h, 'control-plane').length > 0),
  gather: (host, { host: planned, facts }, ctx) => gatherRunnable(host, facts, [...unitBinaries(planned, 'control-plane').values()], ctx),
  check: (input) => expiryWarnings(phaseExpiry(input, 'control-plane')),
  plan: (input) => restartForExpiry(serviceSteps(input.host, 'control-plane', input.facts), phaseExpiry(input, 'control-plane')),
  firstLook: (input) => readinessProbes(input, 'control-plane'),
  verify: (host, input, ctx) => verifyService(host, input, 'control-plane', ctx),
};
