/** Helpers over Step values (phase.ts): the one-line text output uses, and put steps for a host's files. */
import type { Artifact } from '../plan/types.js';
import type { Step } from './phase.js';

/** One-line human description of a step; never contains secret content. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'put':
      return `put ${step.artifact.path}`;
    case 'mkdir':
      return `mkdir ${step.path}`;
    case 'systemd':
      return step.action === 'daemon-reload' ? 'systemctl daemon-reload' : `${step.action} ${step.unit}`;
    case 'exec':
      return step.label ?? `run ${step.argv.join(' ')}`;
    case 'fetch':
      return `copy ${step.path} to ${step.to}`;
    case 'note':
      return step.message;
  }
}

/** put steps for a host's artifacts, in plan order. */
export function putSteps(artifacts: readonly Artifact[]): readonly Step[] {
  return artifacts.map((artifact) => ({ kind: 'put', artifact }) as const);
}
