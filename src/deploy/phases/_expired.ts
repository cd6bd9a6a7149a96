/**
 * What the service phases do about certificates that had already expired on a host when the run
 * started (deploy/expired-certs.ts): say so (a warning in apply, dry-run and the log) and restart
 * each unit that runs on one at once, in the phase's own parallel pass, with the reason as a note
 * in the step list. Not deferred to the rolling restart: a unit on an expired certificate serves
 * nobody, so restarting it costs nothing; the rollout's readiness checks would first look at the
 * broken old process (kube-proxy /healthz fails on an expired kubeconfig); and every etcd member
 * on expired certificates must restart at the same moment, the only way they can re-form a
 * cluster. The restart is unconditional: it would usually happen anyway (the renewed files
 * changed), but a kubelet's client certificate is its own, not a file kubesmith ships.
 */
import type { PhaseInput, Problem, Step } from '../phase.js';
import { describeExpired, expiredFor, kubeletClientCertPath, type ExpiredCert } from '../expired-certs.js';
import { unitBinaries, type ShippingPhase } from './_artifacts.js';

/** An expiry that makes `unit` restart at once on one host. */
export interface ExpiryFinding {
  readonly unit: string;
  readonly expired: readonly ExpiredCert[];
  /** One sentence: what the host runs and what apply does about it. */
  readonly message: string;
}

function messageFor(unit: string, expired: readonly ExpiredCert[], kubeletClient: string): string {
  const what = describeExpired(expired);
  if (unit === 'etcd.service') {
    return `etcd: certificates deployed here expired (${what}): members with expired certificates reject each other until restarted on renewed ones, so this member restarts together with every member whose certificates expired, not one at a time behind a health gate`;
  }
  if (unit === 'kubelet.service' && expired.some((c) => c.path === kubeletClient)) {
    // bootstrap.go LoadClientConfig: the fallback to the bootstrap kubeconfig happens at start only.
    return `kubelet: its client certificate expired (${what}): restarting kubelet so it re-bootstraps with the bootstrap token (approve-kubelet-csrs then waits for its new certificates)`;
  }
  return `${unit.replace(/\.service$/, '')}: certificates it runs on expired (${what}): it cannot work on them, so it restarts at once on the renewed files, not in the rolling restart`;
}

/** The finding for one unit on the phase's host, or undefined when none of its certificates expired. */
export function unitExpiry(input: PhaseInput, unit: string): ExpiryFinding | undefined {
  const expired = expiredFor(input.plan, input.host, input.facts.expiredCerts, unit);
  return expired.length === 0 ? undefined : { unit, expired, message: messageFor(unit, expired, kubeletClientCertPath(input.plan)) };
}

/** etcd members with expired peer/server certificates restart together, never behind a per-member health gate. */
export function etcdExpiry(input: PhaseInput): ExpiryFinding | undefined {
  return unitExpiry(input, 'etcd.service');
}

/** A kubelet whose client certificate expired restarts to re-bootstrap with the bootstrap token. */
export function kubeletExpiry(input: PhaseInput): ExpiryFinding | undefined {
  return unitExpiry(input, 'kubelet.service');
}

/** The findings for every unit the phase runs on this host (a unit whose binary does not run is not started, so it has none). */
export function phaseExpiry(input: PhaseInput, phase: ShippingPhase): readonly ExpiryFinding[] {
  return [...unitBinaries(input.host, phase)].flatMap(([u, bin]) => (input.facts.runnable?.get(bin) === undefined ? [] : (unitExpiry(input, u) ?? [])));
}

/** The findings as preflight-style warnings (printed by apply and dry-run). */
export function expiryWarnings(findings: readonly ExpiryFinding[]): readonly Problem[] {
  return findings.map((f) => ({ severity: 'warning', message: f.message }) as const);
}

/** `steps` with each found unit's restart made unconditional and immediate (rolling: false), explained by a note before it. */
export function restartForExpiry(steps: readonly Step[], findings: readonly ExpiryFinding[]): readonly Step[] {
  if (findings.length === 0) return steps;
  return steps.flatMap((s): readonly Step[] => {
    if (s.kind !== 'systemd' || s.action !== 'restart') return [s];
    const f = findings.find((x) => x.unit === s.unit);
    return f ? [{ kind: 'note', message: f.message }, { ...s, when: 'always', rolling: false }] : [s];
  });
}
