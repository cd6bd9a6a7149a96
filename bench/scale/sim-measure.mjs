// The measured process of bench/scale's simulation: `kubesmith apply --dry-run` (dist/, the command
// body the CLI runs) over the simulated fleet of fake-fleet.mjs. Run with rss-probe.mjs preloaded
// (peak RSS and CPU of the whole process). Prints one JSON line.
// Usage (from simulate.bench-run.ts): node --import ../render/rss-probe.mjs sim-measure.mjs DIR fresh|applied [tty]
// (SIM_LIMIT=a,b: --limit, for the unmeasured run that fills the bundle cache first)
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fakeFleet } from './fake-fleet.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
/** SIM_DIST: another build to measure (a before/after comparison in one session). @default <repo>/dist */
const DIST = process.env.SIM_DIST ?? join(ROOT, 'dist');
const [dir, scenario, mode] = process.argv.slice(2);
const tty = mode === 'tty';
const { runApply } = await import(join(DIST, 'cli/commands/apply.js'));
/** SIM_FIXTURE: the recording SIM_DIST's probes match (a build with other probe scripts needs its own). */
const fixture = JSON.parse(readFileSync(process.env.SIM_FIXTURE ?? new URL('./fixtures/recorded-fleet.json', import.meta.url), 'utf8'));
const sim = JSON.parse(readFileSync(join(dir, 'sim.json'), 'utf8'));
const digests = scenario === 'applied' ? JSON.parse(readFileSync(join(dir, 'digests.json'), 'utf8')) : undefined;
const fleet = fakeFleet({ fixture, scenario, hosts: sim.hosts, digests, knownHostsFile: join(dir, 'known_hosts') });

let bytes = 0;
let wouldChange = 0;
const changedKinds = new Map(); // "would change" lines without the host name, counted
let lastLines = [];
const sink = new Writable({
  write(chunk, _e, cb) {
    const s = chunk.toString();
    bytes += s.length;
    if (s.includes(': would change: ')) {
      for (const m of s.matchAll(/^ {2}\S+: would change: (.*)$/gm)) {
        wouldChange += 1;
        const k = m[1].slice(0, 100);
        changedKinds.set(k, (changedKinds.get(k) ?? 0) + 1);
      }
    }
    // the output's tail, kept cheaply (shown when the run fails)
    lastLines.push(s);
    if (lastLines.length > 40) lastLines = lastLines.slice(-12);
    cb();
  },
});
if (tty) sink.columns = 120;

const controller = new AbortController();
setMaxListeners(0, controller.signal); // as src/cli/main.ts
const ctx = {
  values: { inventory: 'inventory.yaml', 'dry-run': true, ...(process.env.SIM_LIMIT ? { limit: process.env.SIM_LIMIT } : {}) },
  positionals: [],
  stdout: sink,
  stderr: sink,
  env: tty ? { NO_COLOR: '1' } : { NO_COLOR: '1', CI: '1' },
  cwd: dir,
  signal: controller.signal,
  color: false,
  isTTY: tty,
  debug: false,
};
const c0 = process.cpuUsage();
const t0 = performance.now();
let code;
let error;
try {
  code = await runApply(ctx, { transport: fleet.transport });
} catch (e) {
  code = 1;
  error = `${e.message}\n${(e.detail ?? []).slice(0, 5).join('\n')}`;
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const s = fleet.stats();
console.log(JSON.stringify({ scenario, tty, code, error, ms, cpuMs: (cpu.user + cpu.system) / 1000, fakeMs: s.fakeMs, connects: s.connects, misses: s.misses, outBytes: bytes, wouldChange, changedKinds: [...changedKinds].sort((a, b) => b[1] - a[1]).slice(0, 5), tail: error ? lastLines.join('').split('\n').slice(-12) : undefined }));
process.exit(0);
