/** `kubesmith pki check`: certificate expiry report, like `kubeadm certs check-expiration`. */
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
  usage: '-i FILE [--json] [--warn-within 30d]',
  description: 'With --warn-within DURATION (30d, 12h, 90m), exits 1 when any certificate expires sooner, is missing, or does not verify.',
  options: {
    inventory: INVENTORY_OPTION,
    json: JSON_OPTION,
    'warn-within': { type: 'string', description: 'exit 1 if anything expires within this duration (e.g. 30d, 12h)' },
  },
  async run(ctx) {
    const warnText = stringOpt(ctx, 'warn-within');
    const { checkPki, parseDuration, shortDuration } = await import('../../pki/check.js');
    const warnMs = warnText === undefined ? undefined : parseDuration(warnText);
    if (warnText !== undefined && warnMs === undefined) {
      throw new UsageError(`pki check: --warn-within "${warnText}" is not a duration`, { hint: 'use a number with d, h, m or s, e.g. 30d or 12h' });
    }
    const inv = await readInventory(ctx);
    const [{ loadCatalogue }, { loadPkiState, pkiStateDir }, { NodeClock }] = await Promise.all([
      import('../../state/load-catalogue.js'),
      import('../../state/pki-store.js'),
      import('../../state/node-sources.js'),
    ]);
    const dir = pkiStateDir(inv);
    const rows = checkPki(loadCatalogue(), inv, loadPkiState(dir), NodeClock.now());
    const flagged = rows.filter((r) => r.status !== 'ok' || (warnMs !== undefined && (r.residualMs ?? 0) < warnMs));
    if (boolOpt(ctx, 'json')) {
      println(ctx, JSON.stringify({ stateDir: dir, certificates: rows.map((r) => ({ ...r, expires: r.expires?.toISOString() })) }, null, 2));
    } else {
      printTables(ctx, rows, shortDuration);
    }
    await printOrphanNote(ctx, inv, dir);
    if (warnMs === undefined) return rows.some((r) => r.status !== 'ok') ? 1 : 0;
    if (flagged.length > 0) {
      ctx.stderr.write(`${flagged.length} certificate${flagged.length === 1 ? '' : 's'} need attention (expiring within ${warnText}, missing or invalid):\n`);
      for (const r of flagged) ctx.stderr.write(`  ${r.id}: ${r.status === 'ok' ? `expires ${r.expires?.toISOString()}` : r.status}\n`);
      ctx.stderr.write('renew leaves with `kubesmith pki renew NAMES` (or `kubesmith pki generate`); CAs must be rotated by hand\n');
      return 1;
    }
    return 0;
  },
};

function printTables(ctx: CommandContext, rows: readonly CheckRow[], short: (ms: number) => string): void {
  const cell = (r: CheckRow): string[] => [
    r.expires ? when(r.expires) : r.status.toUpperCase(),
    r.status === 'ok' || r.status === 'expired' ? short(r.residualMs ?? 0) : r.status,
  ];
  const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
  const leaves = rows.filter((r) => r.kind === 'leaf');
  const cas = rows.filter((r) => r.kind === 'ca');
  println(ctx, table(['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'SIGNED BY', 'ALGORITHM', 'EXTERNALLY MANAGED'], leaves.map((r) => [r.id, ...cell(r), r.signedBy, r.algorithm, yesNo(r.externallyManaged)])));
  println(ctx, '');
  println(ctx, table(['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'ALGORITHM', 'EXTERNALLY MANAGED'], cas.map((r) => [r.id, ...cell(r), r.algorithm, yesNo(r.externallyManaged)])));
}
