/** `kubesmith pki check`: certificate expiry report, like `kubeadm certs check-expiration`. Reads only. */
import type { CheckRow } from '../../pki/check.js';
import { UsageError } from '../../shared/errors.js';
import { boolOpt, INVENTORY_OPTION, JSON_OPTION, stringOpt, type Command, type CommandContext } from '../command.js';
import { printOrphanNote } from './_orphans.js';
import { println, readInventory, table } from './pki-shared.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** kubeadm's "Jan 02, 2006 15:04 UTC". */
const when = (d: Date): string =>
  `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, '0')}, ${d.getUTCFullYear()} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')} UTC`;

export const pkiCheckCommand: Command = {
  name: 'pki check',
  summary: 'show when each certificate expires (like kubeadm certs check-expiration)',
  usage: '-i FILE [--json] [--warn-within 30d] [--remote [--limit HOSTS] [--prometheus FILE]]',
  description: [
    'Each row has a status: ok, renew due (inside the window `pki generate` renews in: 30 days, or a',
    'third of a shorter lifetime), expires soon (a CA), expired, missing, unreadable, key missing,',
    'key unreadable, key mismatch, not signed by its CA, CA unusable.',
    'Exits 1 when any material is broken, or anything is inside the warning window: by default each',
    "certificate's renewal window; with --warn-within DURATION (30d, 12h, 90m) that duration. Writes nothing.",
    '',
    'With --remote: what the hosts really hold, over SSH, one round trip per host: every certificate file and',
    'kubeconfig kubesmith deploys (compared with the state), the kubelet\'s own certificates under',
    '/var/lib/kubelet/pki, and what etcd (2379, 2380), kube-apiserver and kubelet (10250) present in a TLS',
    'handshake made on the host (openssl s_client). One row per host and certificate; STATUS is in sync,',
    'differs from state, not deployed, served != on disk (a renewed file its service has not loaded yet),',
    'kubelet-rotated, wrong signer, unreadable, not serving, not checked (no openssl), not issued, unreachable.',
    'Private keys are never read. Exits 1 when a host is unreachable or a row needs attention. --json prints',
    'kind kubesmith.pki-check-remote/v1; --prometheus FILE writes node_exporter textfile metrics atomically',
    '(kubesmith_certificate_expiry_seconds, kubesmith_certificate_in_sync, kubesmith_certificate_check_up).',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    json: JSON_OPTION,
    'warn-within': { type: 'string', description: 'exit 1 if anything expires within this duration (default: its renewal window)' },
    remote: { type: 'boolean', description: 'check the certificates on the hosts over SSH instead of the local state' },
    limit: { type: 'string', multiple: true, description: 'with --remote: only these hosts (comma-separated names)' },
    prometheus: { type: 'string', description: 'with --remote: also write node_exporter textfile metrics to FILE (atomically)' },
  },
  async run(ctx) {
    const warnText = stringOpt(ctx, 'warn-within');
    const { BROKEN_STATUSES, checkPki, parseDuration, shortDuration } = await import('../../pki/check.js');
    const warnMs = warnText === undefined ? undefined : parseDuration(warnText);
    if (warnText !== undefined && warnMs === undefined) {
      throw new UsageError(`pki check: --warn-within "${warnText}" is not a duration`, { hint: 'use a number with d, h, m or s, e.g. 30d or 12h' });
    }
    const remote = boolOpt(ctx, 'remote');
    const limitValues = ctx.values.limit;
    const prometheus = stringOpt(ctx, 'prometheus');
    if (!remote && (limitValues !== undefined || prometheus !== undefined)) {
      throw new UsageError(`pki check: ${prometheus !== undefined ? '--prometheus' : '--limit'} needs --remote`, { hint: 'the local check reads the state directory only; add --remote to ask the hosts' });
    }
    const inv = await readInventory(ctx);
    if (remote) {
      const [{ runRemoteCheck }, { parseList }] = await Promise.all([import('./pki-check-remote.js'), import('../../deploy/phases/select.js')]);
      const limit = parseList('--limit', typeof limitValues === 'string' ? [limitValues] : Array.isArray(limitValues) ? limitValues : undefined);
      return runRemoteCheck(ctx, {
        inventory: inv,
        json: boolOpt(ctx, 'json'),
        ...(limit ? { limit } : {}),
        ...(prometheus !== undefined ? { prometheus } : {}),
        ...(warnMs !== undefined && warnText !== undefined ? { warnMs, warnText } : {}),
      });
    }
    const [{ loadCatalogue }, { pkiStateDir }, { inspectPkiState }, { NodeClock }] = await Promise.all([
      import('../../state/load-catalogue.js'),
      import('../../state/pki-store.js'),
      import('../../state/pki-inspect.js'),
      import('../../state/node-sources.js'),
    ]);
    const dir = pkiStateDir(inv);
    // Read-only on purpose: loadPkiState would finish an interrupted save, and check never writes.
    const { state, fails, notes } = inspectPkiState(dir);
    const rows = checkPki(loadCatalogue(), inv, state, NodeClock.now(), fails);
    const rotation = await rotationReport(state.rotationJson, `${dir}/rotation.json`, NodeClock.now(), inv.source);
    const soon = (r: CheckRow): boolean =>
      warnMs === undefined ? r.status === 'renew due' || r.status === 'expires soon' : r.residualMs !== undefined && r.residualMs < warnMs;
    const flagged = rows.filter((r) => BROKEN_STATUSES.has(r.status) || soon(r));
    if (boolOpt(ctx, 'json')) {
      println(ctx, JSON.stringify({ stateDir: dir, certificates: rows.map((r) => ({ ...r, expires: r.expires?.toISOString() })), rotation: rotation.json, problems: [...notes, ...rotation.problems] }, null, 2));
    } else {
      printTables(ctx, rows, shortDuration);
      if (rotation.lines.length > 0) println(ctx, `\n${rotation.lines.join('\n')}`);
    }
    for (const p of rotation.problems) ctx.stderr.write(`problem: ${p}\n`);
    await printOrphanNote(ctx, inv, dir);
    for (const n of notes) ctx.stderr.write(`problem: ${n}\n`);
    if (flagged.length === 0) return notes.length + rotation.problems.length > 0 ? 1 : 0;
    const window = warnText === undefined ? 'inside their renewal window' : `expiring within ${warnText}`;
    ctx.stderr.write(`${flagged.length} certificate${flagged.length === 1 ? '' : 's'} need attention (${window}, missing or invalid):\n`);
    for (const r of flagged) ctx.stderr.write(`  ${r.id}: ${r.status === 'ok' ? `expires ${r.expires?.toISOString()}` : `${r.status}${r.problem ? `: ${r.problem}` : ''}`}\n`);
    ctx.stderr.write('renew leaves with `kubesmith pki renew NAMES` (or `kubesmith pki generate`); CAs must be rotated by hand\n');
    return 1;
  },
};

/** The CA rotation in progress (or last completed) as `pki check` shows it; a damaged record is a problem, not a crash. */
async function rotationReport(json: string | undefined, file: string, now: Date, inventoryFile: string): Promise<{ lines: readonly string[]; json: object | null; problems: readonly string[] }> {
  if (json === undefined) return { lines: [], json: null, problems: [] };
  const [{ parseRotation, stageApplied }, { rotationLines }] = await Promise.all([import('../../pki/rotation-record.js'), import('../../pki/rotation-describe.js')]);
  try {
    const r = parseRotation(json, file);
    return { lines: rotationLines(r, now, inventoryFile), json: { name: r.name, stage: r.stage, rolledOut: stageApplied(r), stages: r.stages, old: r.old.fingerprint, new: r.next.fingerprint }, problems: [] };
  } catch (err) {
    return { lines: [], json: null, problems: [(err as Error).message] };
  }
}

function printTables(ctx: CommandContext, rows: readonly CheckRow[], short: (ms: number) => string): void {
  const residual = (r: CheckRow): string => {
    if (r.status === 'ok' || r.status === 'expired') return short(r.residualMs ?? 0);
    if (r.status === 'renew due' || r.status === 'expires soon') return `${short(r.residualMs ?? 0)} (${r.status})`;
    return r.status;
  };
  const cell = (r: CheckRow): string[] => [r.expires ? when(r.expires) : r.status.toUpperCase(), residual(r)];
  const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
  const leaves = rows.filter((r) => r.kind === 'leaf');
  const cas = rows.filter((r) => r.kind === 'ca');
  const pairs = rows.filter((r) => r.kind === 'keypair');
  println(ctx, table(['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'SIGNED BY', 'ALGORITHM', 'EXTERNALLY MANAGED'], leaves.map((r) => [r.id, ...cell(r), r.signedBy, r.algorithm, yesNo(r.externallyManaged)])));
  println(ctx, '');
  println(ctx, table(['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'ALGORITHM', 'EXTERNALLY MANAGED'], cas.map((r) => [r.id, ...cell(r), r.algorithm, yesNo(r.externallyManaged)])));
  println(ctx, '');
  println(ctx, table(['KEY PAIR', 'STATUS', 'ALGORITHM'], pairs.map((r) => [r.id, r.status, r.algorithm])));
}
