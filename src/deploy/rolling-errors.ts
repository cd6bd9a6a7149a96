/**
 * The errors that stop a rolling restart (deploy/rolling.ts), each naming the host, what did not
 * hold and how the operator resumes: the files are in place and the pending-restart markers
 * stay, so the next `kubesmith apply` picks up the hosts not yet restarted.
 */
import type { GateVerdict, Phase, RollingRestart } from './phase.js';
import type { RolloutIo } from './rollout-io.js';
import type { RolloutWave } from './rollout-plan.js';
import { PENDING_RESTART_DIR } from './dry-run.js';
import { PhaseError, type HostFailure } from '../shared/errors.js';

/** The work before the first restart failed: nothing was restarted. */
export function beforeFailed(phase: Phase, policy: RollingRestart, error: Error, units: ReadonlyMap<string, unknown>): PhaseError {
  const hosts = [...units.keys()];
  const err = new Error(`rolling restart not started: ${error.message}`);
  return new PhaseError(phase.id, hosts.map((host) => ({ host, step: `${phase.id}: rolling restart (before the first restart)`, error: err })), {
    hint: `nothing was restarted; the files are in place and the pending-restart markers (${PENDING_RESTART_DIR}) are kept. Fix the cause and run \`kubesmith apply\` again${policy.beforeOptOut ? `, or ${policy.beforeOptOut}` : ''}`,
  });
}

/** "wk1: unhealthy: context deadline exceeded; members disagree on the leader". */
export function describeVerdict(v: GateVerdict): string {
  return [...[...v.unhealthy].map(([h, why]) => `${h}: ${why}`), ...(v.cluster === undefined ? [] : [v.cluster])].join('; ') || 'no answer';
}

/** The first gate never held: nothing was restarted, and restarting now could take the service down. */
export function notStarted(phase: Phase, policy: RollingRestart, v: GateVerdict, units: ReadonlyMap<string, unknown>, io: RolloutIo): PhaseError {
  const hosts = [...units.keys()];
  const named = v.unhealthy.size > 0 ? [...v.unhealthy.keys()] : hosts;
  const error = new Error(`rolling restart not started: ${policy.gate} does not hold after waiting ${Math.round(io.timeoutMs / 1000)} s: ${describeVerdict(v)}`);
  return new PhaseError(phase.id, named.map((host) => ({ host, step: `${phase.id}: rolling restart (before the first restart)`, error })), {
    hint:
      `nothing was restarted: restarting ${hosts.join(', ')} while another host of the group is unhealthy could take the service down (etcd: lose quorum). ` +
      `The files are in place and the pending-restart markers (${PENDING_RESTART_DIR}) are kept; fix ${named.join(', ')}, then run \`kubesmith apply\` again to resume`,
  });
}

/** The error for a rollout stopped at wave `i`, naming the host, the gate and how to resume. */
export function stopped(phase: Phase, policy: RollingRestart, at: { hosts: readonly string[]; why: string }, what: 'prepare' | 'restart' | 'gate' | 'restore' | 'release', waves: readonly RolloutWave[], i: number, io: RolloutIo, units: ReadonlyMap<string, readonly string[]>): PhaseError {
  const remaining = waves.slice(i + 1).flatMap((w) => w.hosts);
  const where = at.hosts.join(', ');
  const error = new Error(
    what === 'gate'
      ? `rolling restart stopped after restarting ${where}: ${policy.gate} not reached within ${Math.round(io.timeoutMs / 1000)} s: ${at.why}`
      : what === 'restore'
        ? `rolling restart stopped on ${where}: ${at.why}`
        : what === 'prepare'
          ? `rolling restart stopped before restarting ${where}: ${at.why}`
          : what === 'release'
            ? `rolling restart stopped after restarting ${where}: ${at.why}`
        : `rolling restart stopped: restart on ${where} failed: ${at.why}`,
  );
  const failures: HostFailure[] = at.hosts.map((host) => ({ host, step: `${phase.id}: rolling restart`, error }));
  const rest = remaining.length
    ? `${remaining.join(', ')} ${remaining.length === 1 ? 'was' : 'were'} not restarted and keep running on the files they started with (certificates from the same CA stay valid); their pending-restart markers (${PENDING_RESTART_DIR}) are kept. `
    : '';
  // The journals help when a unit failed to restart or come back; a drain or hand-back failure says itself what failed.
  const journals = what === 'restart' || what === 'gate' ? [...new Set(at.hosts.flatMap((h) => units.get(h) ?? []))].map((u) => `journalctl -u ${u}`).join(', ') : '';
  const fix = journals ? `Fix ${where} (${journals} there)` : `Fix ${where} (the error above says what failed there)`;
  return new PhaseError(phase.id, failures, {
    hint: `${rest}${fix}, then run \`kubesmith apply\` again: it resumes the rollout with the hosts not yet restarted${what === 'restore' ? ' and rewrites the load balancer configuration it left changed' : ''}`,
  });
}
