/**
 * `kubesmith approve`: approves kubelet CSRs that match the inventory and nothing else (decideCsr),
 * printing a `kubectl get csr`-like table with kubesmith's decision and reason. Reaches the API
 * through SSH to the first control-plane host (its own apiserver, tunnelTarget), or directly with --server.
 */
import { approveCsrs, type ApproveOutcome, type ApproveRound } from '../../kube/approve-csrs.js';
import { formatCsrTable } from '../../kube/csr-table.js';
import { PhaseError, UsageError } from '../../shared/errors.js';
import { NodeClock } from '../../state/node-sources.js';
import { boolOpt, stringOpt, type CommandContext } from '../command.js';
import { openKubeSession, openSshTunnel, type SessionDeps } from './_kube-session.js';

/** What the command needs from the outside world; tests replace parts of it. */
export interface ApproveDeps extends SessionDeps {
  /** Poll interval for --watch. */
  readonly pollMs: number;
}

const DEFAULT_DEPS: ApproveDeps = { clock: NodeClock, openTunnel: openSshTunnel, pollMs: 3000 };

/** "10m", "90s", "1h30m" -> milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** The command body with injectable dependencies. */
export async function runApprove(ctx: CommandContext, deps: ApproveDeps = DEFAULT_DEPS): Promise<number> {
  const timeoutText = stringOpt(ctx, 'timeout', '10m');
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs === 0) {
    throw new UsageError(`approve: --timeout ${timeoutText} is ${timeoutMs === 0 ? 'zero: --watch would give up at once' : 'not a duration'}`, { hint: 'use e.g. 90s, 10m or 1h' });
  }
  const session = await openKubeSession(ctx, deps, Math.min(timeoutMs, 120_000));
  const { client, inventory, token } = session;
  try {
    const json = boolOpt(ctx, 'json');
    const watch = boolOpt(ctx, 'watch');
    let lastKey = '';
    let lastWaiting = '';
    const outcome = await approveCsrs({
      client,
      inventory,
      clock: deps.clock,
      denyUnknown: boolOpt(ctx, 'deny-unknown'),
      watch,
      timeoutMs,
      pollMs: deps.pollMs,
      signal: ctx.signal,
      ...(token ? { bootstrapTokenIds: [token.id] } : {}),
      onRound: (round) => {
        if (json) return;
        // Reprint only when a CSR, its condition or its decision changed (AGE alone does not count).
        const key = JSON.stringify(round.rows.map(({ age: _age, ...rest }) => rest));
        if (key !== lastKey) ctx.stdout.write(`${lastKey === '' ? '' : '\n'}${formatCsrTable(round.rows)}`);
        lastKey = key;
        const waiting = round.nodes
          .filter((n) => !n.client || !n.serving)
          .map((n) => `${n.node} (${[n.client ? '' : 'client', n.serving ? '' : 'serving'].filter(Boolean).join(', ')})`)
          .join(', ');
        if (watch && waiting !== '' && waiting !== lastWaiting) ctx.stderr.write(`waiting for certificates: ${waiting}\n`);
        lastWaiting = waiting;
      },
    });
    if (json) ctx.stdout.write(`${JSON.stringify(jsonReport(outcome), null, 2)}\n`);
    else ctx.stderr.write(summary(outcome.last, boolOpt(ctx, 'deny-unknown')));
    if (outcome.timedOut) throw timeoutError(outcome, timeoutText);
    return 0;
  } finally {
    await session.close();
  }
}

function jsonReport(o: ApproveOutcome): unknown {
  return { complete: o.complete, timedOut: o.timedOut, rounds: o.rounds, csrs: o.last.rows, nodes: o.last.nodes };
}

function summary(round: ApproveRound, denyUnknown: boolean): string {
  const pending = round.rows.filter((r) => r.decision === 'ignore' && r.kind !== 'other').length;
  const missing = round.nodes.filter((n) => !n.client || !n.serving).map((n) => n.node);
  const lines = [
    `${round.nodes.length - missing.length}/${round.nodes.length} nodes have issued client and serving certificates${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`,
  ];
  if (pending > 0 && !denyUnknown) {
    lines.push(`${pending} kubelet CSR${pending === 1 ? '' : 's'} left pending (see REASON): approve by hand with \`kubectl certificate approve NAME\` if legitimate, or rerun with --deny-unknown`);
  }
  return `${lines.join('\n')}\n`;
}

function timeoutError(o: ApproveOutcome, timeoutText: string): PhaseError {
  const failures = o.last.nodes
    .filter((n) => !n.client || !n.serving)
    .map((n) => ({
      host: n.node,
      step: 'kubelet certificates',
      error: new Error(`no issued ${[n.client ? '' : 'client', n.serving ? '' : 'serving'].filter(Boolean).join(' or ')} certificate after ${timeoutText}`),
    }));
  return new PhaseError('approve', failures, {
    hint: 'check the kubelet on those hosts (`journalctl -u kubelet`): it needs the bootstrap kubeconfig and serverTLSBootstrap: true; CSRs left pending are listed above with their reason',
  });
}
