/** Why a run stops early: a gate phase failed on some host, or the operator interrupted it. */
import type { Phase } from './phase.js';
import { Interrupted, PhaseError, type HostFailure } from '../shared/errors.js';

/**
 * A gate phase failed on some host of the run: stop before anything is written. Going on with the
 * others would start etcd with two of three members (a cluster that later needs surgery to join
 * the third) and leave hosts half installed (#13 item 15).
 */
export function gateStop(phase: Phase, failures: readonly HostFailure[], command: string): PhaseError {
  const hosts = failures.map((f) => f.host).join(', ');
  const limit = command === 'apply' ? `, or leave ${failures.length === 1 ? 'it' : 'them'} out with --limit` : '';
  return new PhaseError(phase.id, failures, {
    hint:
      `nothing was written to any host: a host of the run that fails ${phase.id} stops the whole run, so no etcd member starts without the others. ` +
      `Fix ${hosts} and run \`kubesmith ${command}\` again${limit}`,
  });
}

/** The run was interrupted (SIGINT/SIGTERM) during `phase`. */
export function interrupted(phase: string, command: string): Interrupted {
  return new Interrupted(`${command} interrupted during ${phase}`, { hint: `files are written atomically, so none is half-written; run \`kubesmith ${command}\` again to finish` });
}
