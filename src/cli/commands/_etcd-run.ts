/**
 * Runs an etcd program (snapshot or restore phases) the way `apply` runs its own: the one runner
 * and executor over the SSH transport, the reporter on stderr and the JSON run log in the state
 * directory. Only the phase list and the hosts differ.
 */
import { hostname, userInfo } from 'node:os';
import type { Phase } from '../../deploy/phase.js';
import { runPhases, type Transport } from '../../deploy/runner.js';
import type { ClusterPlan } from '../../plan/types.js';
import { NodeClock } from '../../state/node-sources.js';
import { stateDir } from '../../state/paths.js';
import { boolOpt, type CommandContext } from '../command.js';
import { openRunLog, withRunLog } from '../log.js';
import { createReporter } from '../reporter.js';
import { sshTransport } from '../ssh-transport.js';

/** What to run. */
export interface EtcdRun {
  readonly command: string;
  readonly plan: ClusterPlan;
  readonly phases: readonly Phase[];
  readonly hosts: readonly string[];
  readonly dryRun: boolean;
  /** Wraps the SSH transport (the API access of a node removal reuses its connections). */
  readonly wrap?: (t: Transport) => Transport;
  /** Budget of each phase's verify/report. */
  readonly verifyTimeoutMs?: number;
}

/** A step's outcome as the run reported it (for the command's closing summary). */
export interface StepLine {
  readonly host: string;
  readonly step: string;
  readonly status: string;
  readonly detail?: string;
}

/** Runs it; throws the runner's PhaseError after the reporter printed the summary. Collects step outcomes into `steps`. */
export async function runEtcdProgram(ctx: CommandContext, r: EtcdRun, steps: StepLine[] = []): Promise<void> {
  const log = openRunLog(stateDir(r.plan.inventory), NodeClock.now(), []);
  const reporter = createReporter({ out: ctx.stderr, live: ctx.isTTY && ctx.env.CI === undefined, color: ctx.color, verbose: boolOpt(ctx, 'verbose'), command: r.command, changedSteps: true });
  log.info(r.command, { inventory: r.plan.inventory.source, dryRun: r.dryRun, hosts: r.hosts });
  await withRunLog(log, reporter, ctx.stderr, () =>
    runPhases({
      plan: r.plan,
      phases: r.phases,
      limit: r.hosts,
      dryRun: r.dryRun,
      command: r.command,
      transport: (r.wrap ?? ((t: Transport) => t))(sshTransport(ctx.env, `${userInfo().username}@${hostname()} pid ${process.pid} (${r.command})`)),
      emit: (e) => {
        if (e.type === 'step') steps.push({ host: e.host, step: e.step, status: e.status, ...(e.detail === undefined ? {} : { detail: e.detail }) });
        reporter(e);
        log.event(e);
      },
      signal: ctx.signal,
      clock: NodeClock,
      ...(r.verifyTimeoutMs === undefined ? {} : { verifyTimeoutMs: r.verifyTimeoutMs }),
    }),
  );
}
