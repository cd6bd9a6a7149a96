// Runs the test suite and prints a plain "N passed, N failed, N skipped" closing line, so CI logs
// state unambiguously how many tests ran. Exit code: 0 only when every run passed.
//
// With no arguments the two projects run as two vitest processes at the same time: in one process
// vitest ran the hosts project (one file at a time) only after every unit file, and the suite took
// the sum of both (~20 min). The hosts run streams; the unit run's output is printed as one block
// when it ends. With arguments (a file, --project, -t) it is one vitest process, as before.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const work = new URL('./.work/', import.meta.url).pathname;
mkdirSync(work, { recursive: true });
const out = `${work}results.json`;
rmSync(out, { force: true });

/** Runs vitest; resolves with its exit status. `log` captures its output instead of streaming it. */
function vitest(extra, json, log) {
  rmSync(json, { force: true });
  const args = ['vitest', 'run', '--config', 'test/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`, ...extra];
  const child = spawn('npx', args, { stdio: log ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  if (log) {
    const file = createWriteStream(log);
    child.stdout.pipe(file);
    child.stderr.pipe(file);
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

function read(json) {
  try {
    return JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    return undefined;
  }
}

const forwarded = process.argv.slice(2);
let runs;
if (forwarded.length > 0) {
  runs = [{ status: await vitest(forwarded, out), json: out }];
} else {
  const unitLog = `${work}unit.log`;
  const unit = vitest(['--project', 'unit'], `${work}results-unit.json`, unitLog).then((status) => {
    process.stdout.write(`\n======== unit project (ran beside the hosts project; exit ${status}) ========\n${readFileSync(unitLog, 'utf8')}======== end of the unit project ========\n\n`);
    return status;
  });
  const hosts = vitest(['--project', 'hosts'], `${work}results-hosts.json`);
  runs = [
    { status: await unit, json: `${work}results-unit.json` },
    { status: await hosts, json: `${work}results-hosts.json` },
  ];
}

const results = runs.map((r) => read(r.json));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const [i, j] of results.entries()) {
  if (!j) {
    console.log(`no test results were written by run ${i + 1} (exit ${runs[i].status})`);
    failed += 1;
    continue;
  }
  passed += j.numPassedTests ?? 0;
  failed += j.numFailedTests ?? 0;
  skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
}
if (runs.length > 1) {
  const merged = { ...results[0], numPassedTests: passed, numFailedTests: failed, testResults: results.flatMap((j) => j?.testResults ?? []) };
  writeFileSync(out, JSON.stringify(merged));
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(runs.some((r) => r.status !== 0) || failed > 0 ? 1 : 0);
