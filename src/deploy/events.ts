/**
 * Progress as data: the runner and executor emit DeployEvents to a callback; src/cli/reporter.ts
 * turns them into human lines and src/cli/log.ts into JSON log records. Deploy code never logs.
 */
import type { Step, StepStatus } from './phase.js';
import { describeStep } from './steps.js';

/** Per-host totals for the final summary. */
export interface HostSummary {
  readonly host: string;
  readonly changed: number;
  readonly restarted: readonly string[];
  readonly durationMs: number;
  /** "ok", or the phase where the host failed. */
  readonly failedIn?: string;
}

/** Everything a run reports, in order. */
export type DeployEvent =
  | {
      readonly type: 'run-start';
      readonly hosts: readonly string[];
      readonly phases: readonly string[];
      readonly dryRun: boolean;
      readonly lock: string;
    }
  | { readonly type: 'phase-start'; readonly phase: string; readonly title: string; readonly hosts: readonly string[] }
  | {
      readonly type: 'step';
      readonly phase: string;
      readonly host: string;
      readonly step: string;
      readonly status: StepStatus;
      /** "new", "changed: sha256", "restarted", a warning reason. Never secret content. */
      readonly detail?: string;
      /** The step's file is a secret (keys, tokens): loggers must not print more than its path. */
      readonly secret?: boolean;
    }
  | { readonly type: 'upload'; readonly host: string; readonly path: string; readonly bytes: number; readonly durationMs: number }
  | { readonly type: 'warning'; readonly phase: string; readonly host: string; readonly message: string }
  | {
      readonly type: 'host-done';
      readonly phase: string;
      readonly host: string;
      readonly changed: number;
      readonly restarted: readonly string[];
      readonly durationMs: number;
      readonly notes: readonly string[];
    }
  | { readonly type: 'host-failed'; readonly phase: string; readonly host: string; readonly step: string; readonly error: Error }
  | {
      readonly type: 'report';
      readonly phase: string;
      readonly title: string;
      readonly columns: readonly string[];
      readonly rows: readonly (readonly string[])[];
    }
  /** A rolling restart's order, and each batch restarted and past its health gate (deploy/rolling.ts). */
  | { readonly type: 'rollout'; readonly phase: string; readonly message: string; readonly host?: string }
  | { readonly type: 'phase-done'; readonly phase: string; readonly durationMs: number; readonly failed: readonly string[] }
  | { readonly type: 'run-done'; readonly durationMs: number; readonly hosts: readonly HostSummary[]; readonly dryRun: boolean };

/** The callback the runner emits to. */
export type EmitEvent = (event: DeployEvent) => void;

/** The event for one step's outcome, shared by the executor and dry-run so both report alike. */
export function stepEvent(phase: string, host: string, step: Step, status: StepStatus, detail?: string): DeployEvent {
  return {
    type: 'step',
    phase,
    host,
    step: describeStep(step),
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(step.kind === 'put' && step.artifact.secret ? { secret: true } : {}),
  };
}
