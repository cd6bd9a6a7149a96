// Runs vitest (all projects) and prints a plain "N passed, N failed, N skipped" closing line,
// so CI logs state unambiguously how many tests ran. Exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const out = new URL('./.work/results.json', import.meta.url).pathname;
mkdirSync(new URL('./.work/', import.meta.url).pathname, { recursive: true });
rmSync(out, { force: true });
const args = ['vitest', 'run', '--config', 'test/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit' });
try {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  console.log(`${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped`);
} catch {
  console.log('0 passed, 1 failed (no test results were written)');
}
process.exit(r.status ?? 1);
