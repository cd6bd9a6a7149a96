/** `kubesmith render`: every file for every host into a directory, for review and git diffs. No hosts touched. */
import { resolve } from 'node:path';
import { formatIssue, UsageError } from '../../shared/errors.js';
import { INVENTORY_OPTION, stringOpt, type Command } from '../command.js';

export const renderCommand: Command = {
  name: 'render',
  summary: 'write every file kubesmith would install, per host, into a directory (no hosts needed)',
  usage: '-i FILE --out DIR [--diff PREV_DIR]',
  description: [
    'Writes DIR/<host>/<absolute path> for every host, DIR/_cluster/*.yaml (objects applied through',
    'the API), DIR/_operator/*.kubeconfig (admin credentials that never go to hosts) and DIR/PLAN.md.',
    'Secret files are 0600 and directories 0700. Two renders of the same state are byte-identical.',
    'Binaries are listed in PLAN.md, not copied. DIR/.kubesmith-render.json lists every file the render',
    'wrote: DIR is replaced only when it is new, empty, or an earlier render of this cluster that holds',
    'nothing else, unchanged; never when it is or holds the inventory, the state directory, the bundle,',
    'the home or the current directory, nor inside the state directory or another render.',
    'With --diff, prints what changed against an earlier render (DIR itself may be given to compare',
    'with what it held before); PREV is only read. Saves the file hashes as <state>/last-render.json',
    'for `kubesmith plan`. Never writes PKI state.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    out: { type: 'string', short: 'o', description: 'output directory: new, empty, or an earlier render (replaced as a whole)' },
    diff: { type: 'string', description: 'an earlier render directory to compare with' },
  },
  async run(ctx) {
    const out = stringOpt(ctx, 'out');
    if (out === undefined) throw new UsageError('render: --out DIR is required', { hint: 'e.g. kubesmith render -i inventory.yaml --out render/' });
    const diff = stringOpt(ctx, 'diff');
    const [{ preparePlan }, { writeRenderTree, readTreeHashes, writeLastRender }, { renderGuard }, tree, { planView }, { planMarkdown }, { manifestOf }] = await Promise.all([
      import('../../state/plan-flow.js'),
      import('../../state/render-out.js'),
      import('../../state/render-guard.js'),
      import('../../render/render-tree.js'),
      import('../../plan/plan-view.js'),
      import('../../render/plan-md.js'),
      import('../../render/render-manifest.js'),
    ]);
    const p = await preparePlan(stringOpt(ctx, 'inventory', 'inventory.yaml'), ctx.cwd);
    for (const w of p.warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
    const view = planView(p.plan, undefined, p.notices);
    const files = tree.renderTree(p.plan, p.operator, planMarkdown(view));
    // Read the previous tree before writing: --diff may name the output directory itself.
    const previous = diff === undefined ? undefined : readTreeHashes(resolve(ctx.cwd, diff));
    ctx.signal.throwIfAborted(); // stopped while keys were generated: write nothing
    const n = writeRenderTree(out, files, { cluster: p.inventory.cluster.name, guard: renderGuard(p.inventory, p.stateDir, ctx.cwd) });
    const manifest = writeLastRender(p.stateDir, manifestOf(p.plan, p.operator));
    ctx.stdout.write(`${out}: ${n} files for ${p.plan.hosts.length} hosts (PLAN.md lists them); hashes saved in ${manifest}\n`);
    if (p.ephemeralPki) ctx.stdout.write('note: no PKI in the state yet; credentials in this render are throw-away (run `kubesmith pki generate`)\n');
    if (previous !== undefined) ctx.stdout.write(`${tree.formatDiff(tree.diffTrees(previous, tree.treeHashes(files)), diff ?? '')}\n`);
    return 0;
  },
};
