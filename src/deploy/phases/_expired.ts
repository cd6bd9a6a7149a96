/**
 * What the etcd and nodes phases do about certificates that had already expired on a host when the
 * run started (deploy/expired-certs.ts): say so (a warning in apply, dry-run and the log) and
 * restart the unit in any case and at once, with the reason as a note in the step list. The
 * restart would usually happen anyway (the renewed files changed); making it unconditional covers
 * a kubelet, whose client certificate is its own and not a file kubesmith ships.
 */
import type { PhaseInput, Problem, Step } from '../phase.js';
import { describeExpired, expiredOn, type ExpiredCert, type WatchedKind } from '../expired-certs.js';

/** An expiry that changes how `unit` restarts on one host. */
export interface ExpiryFinding {
  readonly unit: string;
  readonly expired: readonly ExpiredCert[];
  /** One sentence: what the host runs and what apply does about it. */
  readonly message: string;
}

const ETCD: readonly WatchedKind[] = ['etcd-peer', 'etcd-server'];
const KUBELET: readonly WatchedKind[] = ['kubelet-client'];

/** etcd members with expired peer/server certificates restart together (the rolling policy's first wave, _rolling.ts), never behind a per-member health gate. */
export function etcdExpiry(input: PhaseInput): ExpiryFinding | undefined {
  const expired = expiredOn(input.plan, input.host, input.facts.expiredCerts, ETCD);
  if (expired.length === 0) return undefined;
  return {
    unit: 'etcd.service',
    expired,
    message: `etcd: certificates deployed here expired (${describeExpired(expired)}): members with expired certificates reject each other until restarted on renewed ones, so this member restarts together with every member whose certificates expired, not one at a time behind a health gate`,
  };
}

/**
 * A kubelet whose client certificate expired is restarted so that it re-bootstraps: at start it
 * finds kubelet.kubeconfig's certificate expired and requests a new one with the bootstrap token
 * (bootstrap.go LoadClientConfig); running on, it would retry with the expired certificate.
 */
export function kubeletExpiry(input: PhaseInput): ExpiryFinding | undefined {
  const expired = expiredOn(input.plan, input.host, input.facts.expiredCerts, KUBELET);
  if (expired.length === 0) return undefined;
  return {
    unit: 'kubelet.service',
    expired,
    message: `kubelet: its client certificate expired (${describeExpired(expired)}): restarting kubelet so it re-bootstraps with the bootstrap token (approve-kubelet-csrs then waits for its new certificates)`,
  };
}

/** The finding as a preflight-style warning (printed by apply and dry-run). */
export function expiryWarnings(...findings: readonly (ExpiryFinding | undefined)[]): readonly Problem[] {
  return findings.flatMap((f) => (f ? [{ severity: 'warning', message: f.message } as const] : []));
}

/**
 * `steps` with the unit's conditional restart made unconditional, done in the phase's own parallel
 * pass (not deferred to the rolling restart: a unit on an expired certificate serves nobody, so
 * restarting it at once costs nothing, and every such etcd member restarts at the same moment,
 * which is the only way they can re-form a cluster), and explained by a note before it.
 */
export function restartForExpiry(steps: readonly Step[], finding: ExpiryFinding | undefined): readonly Step[] {
  if (!finding) return steps;
  return steps.flatMap((s): readonly Step[] => {
    if (s.kind !== 'systemd' || s.action !== 'restart' || s.unit !== finding.unit) return [s];
    return [{ kind: 'note', message: finding.message }, { ...s, when: 'always', rolling: false }];
  });
}
