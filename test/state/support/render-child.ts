/**
 * A child process that renders a synthetic tree with the real state/render-out, to be killed mid-way:
 * run from its transpiled copy (test/support/ts-closure.ts) as `node render-child.js OUT a|b HOSTS`.
 * Prints "go" right before the write and "done N MS" after it; exit 1 with the error message on failure.
 */
import { writeRenderTree } from '../../../src/state/render-out.js';
import { syntheticTree, target } from './synthetic-render.js';

const [out, variant, hosts] = process.argv.slice(2);
if (out === undefined || (variant !== 'a' && variant !== 'b')) throw new Error('usage: render-child OUT a|b HOSTS');
const files = syntheticTree(variant, Number(hosts));
process.stdout.write('go\n');
const t0 = performance.now();
try {
  const n = writeRenderTree(out, files, target(process.cwd()));
  process.stdout.write(`done ${n} ${Math.round(performance.now() - t0)}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
}
