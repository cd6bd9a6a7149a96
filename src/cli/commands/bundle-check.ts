/** `kubesmith bundle check`: the offline bundle against the inventory, as a table or JSON. Writes nothing. */
import type { BundleCheckReport, BundleCheckRow } from '../../state/bundle-check.js';
import { renderTable, type Cell } from '../../status/table.js';
import { boolOpt, type CommandContext } from '../command.js';
import { readInventory } from './pki-shared.js';

/** Runs the check; exit 1 when any needed file is not ok. */
export async function runBundleCheck(ctx: CommandContext): Promise<number> {
  const inv = await readInventory(ctx);
  const [{ checkBundle }, { bundleDir }] = await Promise.all([import('../../state/bundle-check.js'), import('../../state/paths.js')]);
  const report = await checkBundle(inv, bundleDir(inv));
  if (boolOpt(ctx, 'json')) ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else ctx.stdout.write(describe(report, ctx.color));
  return report.ok ? 0 : 1;
}

const statusCell = (r: BundleCheckRow): Cell => ({ text: r.status, tone: r.status === 'ok' ? 'good' : r.status === 'not needed' ? 'warn' : 'bad' });

/** The table, then one line per problem with what to do. */
export function describe(report: BundleCheckReport, color: boolean): string {
  const rows = report.rows.map((r): Cell[] => [r.component, r.file ?? r.expected, statusCell(r), r.checksumFiles.join(', '), r.detail.join('; ')]);
  const out = [`bundle ${report.dir}`, renderTable(['COMPONENT', 'FILE', 'STATUS', 'CHECKSUM FILE', 'DETAIL'], rows, color), ''];
  const bad = report.rows.filter((r) => r.status !== 'ok' && r.status !== 'not needed');
  if (bad.length === 0) return `${out.join('\n')}every file the inventory needs is present and verified\n`;
  out.push(`${bad.length} of ${report.rows.length} file${report.rows.length === 1 ? '' : 's'} need attention:`);
  for (const r of bad) out.push(`  ${r.file ?? r.expected}: ${r.status}: ${hint(r)}`);
  return `${out.join('\n')}\n`;
}

function hint(r: BundleCheckRow): string {
  switch (r.status) {
    case 'missing':
      return `download ${r.expected} and ${r.checksumFiles.join(' or ')} from the project's release page into the bundle`;
    case 'checksum mismatch':
      return 'the file is damaged or not the published one: download it again';
    case 'no checksum file':
      return `put ${r.checksumFiles.join(' or ')} (as upstream publishes it) next to it; apply sends nothing it cannot verify`;
    case 'version mismatch':
      return `${r.detail[0] ?? ''}: download the version the inventory names, or change the inventory`;
    case 'ambiguous':
      return r.detail[0] ?? 'keep exactly one version in the bundle';
    default:
      return r.detail.join('; ');
  }
}
