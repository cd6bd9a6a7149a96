/**
 * The scale simulation (run through bench/scale/simulate.mjs; no root, no hosts): `kubesmith plan`
 * and `kubesmith apply --dry-run` over 100 .. 5,000 simulated hosts whose answers were recorded from
 * real test hosts (fake-fleet.mjs, fixtures/recorded-fleet.json). Per host count: an inventory with
 * the recording's three control-plane hosts and N-3 workers cloned from the recorded one, the PKI
 * state the answers were recorded against, a known_hosts file with three keys per host, the stub
 * test bundle; then, each in its own process with its peak RSS and CPU time (rss-probe.mjs):
 * - `plan`: the whole CLI process;
 * - dry-run on fresh hosts (what a first apply would do) and on the converged fleet (a no-change
 *   re-apply), non-interactive (CI) output; and the converged one on a terminal (live host lines).
 * Prints the curve (and a small plot) and saves it to bench/scale/last-sim.txt.
 * BENCH_SIM_N=100,500,1000,2500,5000  BENCH_SIM_RUNS=1 (median of that many)  BENCH_SIM_KEEP=1 keeps the dirs.
 * Before/after in one session: BENCH_SIM_BASE=<other build's dist>:<the recording its probes match>
 * measures that build too, interleaved, up to BENCH_SIM_BASE_MAX_N hosts (default 2500; on a
 * terminal up to BENCH_SIM_BASE_TTY_MAX_N, default 1000: a quadratic build takes very long there).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { buildTestBundle } from '../../test/support/test-bundle.js';
import { hostTestContainerdDir } from '../../test/support/containerd-bin.js';
import { FIXTURE } from './_fleet.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PROBE = join(ROOT, 'bench/render/rss-probe.mjs');
const MEASURE = new URL('./sim-measure.mjs', import.meta.url).pathname;
const SIZES = (process.env.BENCH_SIM_N ?? '100,500,1000,2500,5000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_SIM_RUNS ?? 1);
const BASE_MAX_N = Number(process.env.BENCH_SIM_BASE_MAX_N ?? 2500);
const BASE_TTY_MAX_N = Number(process.env.BENCH_SIM_BASE_TTY_MAX_N ?? 1000);

/** A build to measure and the recording that answers its probes. */
interface Build {
  readonly dist: string;
  readonly fixturePath: string;
  readonly fixture: Fixture;
}
const buildOf = (dist: string, fixturePath: string): Build => ({ dist, fixturePath, fixture: JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture });

interface Fixture {
  readonly inventory: string;
  readonly fleet: readonly { name: string; ip: string }[];
  readonly bundle: Record<string, string>;
  readonly state: Record<string, string>;
}

/** An SSH wire blob: string(type) followed by the key fields. */
const sshString = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (8 * (3 - i))) & 0xff)), b]);
const blob = (type: string, ...fields: Buffer[]): string => Buffer.concat([sshString(Buffer.from(type)), ...fields.map(sshString)]).toString('base64');

/** known_hosts with three keys per host, as ssh-keygen -A leaves a host (ed25519 unique; ecdsa, rsa of the right shape). */
function knownHosts(addresses: readonly string[]): string {
  const ecdsa = blob('ecdsa-sha2-nistp256', Buffer.from('nistp256'), Buffer.alloc(65, 4));
  const rsa = blob('ssh-rsa', Buffer.from([1, 0, 1]), Buffer.alloc(257, 0xc5));
  return `${addresses
    .flatMap((a) => {
      const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
      return [`${a} ecdsa-sha2-nistp256 ${ecdsa}`, `${a} ssh-ed25519 ${blob('ssh-ed25519', raw)}`, `${a} ssh-rsa ${rsa}`];
    })
    .join('\n')}\n`;
}

/** The simulated fleet's hosts: the recording's control planes, then N-3 workers. */
function simHosts(f: Fixture, n: number): { name: string; address: string; roles: string[] }[] {
  const cps = f.fleet.filter((h) => h.name !== '{{W}}').map((h) => ({ name: h.name, address: h.ip, roles: ['etcd', 'control-plane'] }));
  const workers = Array.from({ length: n - cps.length }, (_, i) => ({
    name: `node-${String(i + 1).padStart(5, '0')}`,
    address: `172.${20 + Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
    roles: ['worker'],
  }));
  return [...cps, ...workers];
}

function writeSimDir(f: Fixture, n: number, bundleDir: string, keyFile: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kubesmith-scale-sim-${n}-`));
  const hosts = simHosts(f, n);
  const inv = f.inventory
    .replace(/^( {2}identityFile: ).*$/m, `$1${keyFile}`)
    .replace(/^( {2}knownHostsFile: ).*$/m, `$1${join(dir, 'known_hosts')}`)
    .replace(/^(bundle:\n {2}dir: ).*$/m, `$1${bundleDir}`)
    .replace(/^hosts:\n[\s\S]*$/m, `hosts:\n${hosts.map((h) => `  - { name: ${h.name}, address: ${h.address}, roles: [${h.roles.join(', ')}] }`).join('\n')}\n`);
  writeFileSync(join(dir, 'inventory.yaml'), inv);
  writeFileSync(join(dir, 'known_hosts'), knownHosts(hosts.map((h) => h.address)));
  writeFileSync(join(dir, 'sim.json'), JSON.stringify({ hosts }));
  const state = join(dir, '.kubesmith', 'e2e');
  for (const [rel, text] of Object.entries(f.state)) {
    mkdirSync(dirname(join(state, rel)), { recursive: true, mode: 0o700 });
    writeFileSync(join(state, rel), text, { mode: /key|token|\.json$/.test(rel) ? 0o600 : 0o644 });
  }
  return dir;
}

/** Per host and path, the sha256 the simulated fleet's plan wants (`kubesmith plan --json`), compact. */
function writeDigests(b: Build, dir: string): void {
  const out = join(dir, 'plan.json');
  const fd = openSync(out, 'w');
  const r = spawnSync(process.execPath, [join(b.dist, 'cli/main.js'), 'plan', '-i', 'inventory.yaml', '--json'], { cwd: dir, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  closeSync(fd);
  expect(r.status, r.stderr).toBe(0);
  const plan = JSON.parse(readFileSync(out, 'utf8')) as { hosts: { name: string; files: { path: string; sha256?: string }[] }[] };
  rmSync(out);
  const paths: string[] = [];
  const shas: string[] = [];
  const index = (list: string[], m: Map<string, number>, v: string): number => m.get(v) ?? (m.set(v, list.length), list.push(v), list.length - 1);
  const pm = new Map<string, number>();
  const sm = new Map<string, number>();
  const hosts = Object.fromEntries(plan.hosts.map((h) => [h.name, h.files.filter((x) => x.sha256).map((x) => [index(paths, pm, x.path), index(shas, sm, x.sha256 ?? '')])]));
  writeFileSync(join(dir, 'digests.json'), JSON.stringify({ paths, shas, hosts }));
}

/** One unmeasured dry-run on two hosts: the bundle is verified and extracted into the state's cache once, as before any re-apply. */
function warmBundleCache(b: Build, dir: string): void {
  const r = spawnSync(process.execPath, [MEASURE, dir, 'fresh'], { encoding: 'utf8', env: { ...envOf(b), SIM_LIMIT: 'cp1,node-00001' } });
  expect(r.status, r.stderr).toBe(0);
}

interface Measured {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rssMB: number;
  readonly extra?: Record<string, unknown>;
}

function probeOf(stderr: string): { rssMB: number; cpuMs: number } {
  const m = /KUBESMITH_BENCH maxRSS_kB=(\d+) cpu_us=(\d+)/.exec(stderr);
  return { rssMB: Number(m?.[1] ?? NaN) / 1024, cpuMs: Number(m?.[2] ?? NaN) / 1000 };
}

const envOf = (b: Build): NodeJS.ProcessEnv => ({ ...process.env, SIM_DIST: b.dist, SIM_FIXTURE: b.fixturePath });

function measurePlan(b: Build, dir: string): Measured {
  const fd = openSync(join(dir, 'plan.out'), 'w');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', PROBE, join(b.dist, 'cli/main.js'), 'plan', '-i', 'inventory.yaml'], { cwd: dir, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  closeSync(fd);
  expect(r.status, r.stderr).toBe(0);
  return { ms, ...probeOf(r.stderr) };
}

function measureDryRun(b: Build, dir: string, scenario: 'fresh' | 'applied', tty: boolean): Measured {
  const r = spawnSync(process.execPath, ['--import', PROBE, MEASURE, dir, scenario, ...(tty ? ['tty'] : [])], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: envOf(b) });
  expect(r.status, r.stderr).toBe(0);
  const line = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown> & { ms: number; code: number; error?: string; misses: unknown[] };
  expect(line.error, JSON.stringify(line, null, 1)).toBeUndefined();
  expect(line.code).toBe(0);
  // ms: the apply body only (the fixture and digests load before it); RSS and CPU: the whole process.
  return { ms: line.ms, ...probeOf(r.stderr), extra: line };
}

const median = <T>(xs: readonly T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)] as T;
const repeat = (f: () => Measured): Measured => median(Array.from({ length: RUNS }, f), (m) => m.ms);

type Row = { n: number; plan: Measured; fresh: Measured; applied: Measured; tty: Measured };
type BaseRow = { n: number; plan: Measured; fresh: Measured; applied: Measured; tty?: Measured };

it('plan and dry-run over simulated fleets', () => {
  expect(existsSync(FIXTURE), 'no recording: run `sudo node bench/scale/run.mjs --record` first').toBe(true);
  const cur = buildOf(join(ROOT, 'dist'), FIXTURE);
  const baseSpec = process.env.BENCH_SIM_BASE?.split(':');
  const base = baseSpec ? buildOf(baseSpec[0] ?? '', baseSpec[1] ?? '') : undefined;
  const f = cur.fixture;
  const work = mkdtempSync(join(tmpdir(), 'kubesmith-scale-bundle-'));
  const bundle = buildTestBundle(join(work, 'bundle'), { containerdDir: hostTestContainerdDir() });
  const keyFile = join(work, 'id_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  const rows: Row[] = [];
  const baseRows: BaseRow[] = [];
  const dirs: string[] = [];
  const prepare = (b: Build, n: number): string => {
    const dir = writeSimDir(b.fixture, n, bundle.dir, keyFile);
    dirs.push(dir);
    writeDigests(b, dir);
    warmBundleCache(b, dir);
    return dir;
  };
  try {
    for (const n of SIZES) {
      const dir = prepare(cur, n);
      const withBase = base !== undefined && n <= BASE_MAX_N;
      const bdir = withBase ? prepare(base, n) : '';
      // Interleaved, so that the machine's load falls on both builds alike.
      const pair = (m: (b: Build, d: string) => Measured, baseToo = withBase): [Measured, Measured | undefined] => [repeat(() => m(cur, dir)), base && baseToo ? repeat(() => m(base, bdir)) : undefined];
      const [plan, bplan] = pair(measurePlan);
      const [fresh, bfresh] = pair((b, d) => measureDryRun(b, d, 'fresh', false));
      const [applied, bapplied] = pair((b, d) => measureDryRun(b, d, 'applied', false));
      const [tty, btty] = pair((b, d) => measureDryRun(b, d, 'applied', true), withBase && n <= BASE_TTY_MAX_N);
      rows.push({ n, plan, fresh, applied, tty });
      if (bplan && bfresh && bapplied) baseRows.push({ n, plan: bplan, fresh: bfresh, applied: bapplied, ...(btty ? { tty: btty } : {}) });
      console.log(`n=${n}: ${JSON.stringify({ plan, fresh: { ...fresh, extra: undefined }, applied: { ...applied, extra: undefined }, tty: { ...tty, extra: undefined } })}`);
    }
  } finally {
    if (process.env.BENCH_SIM_KEEP) console.log(`kept ${[work, ...dirs].join(' ')}`);
    else for (const d of [work, ...dirs]) rmSync(d, { recursive: true, force: true });
  }
  const s = (m: Measured): string => (m.ms / 1000).toFixed(2);
  const mb = (m: Measured): string => m.rssMB.toFixed(0);
  const x = (m: Measured, k: string): unknown => m.extra?.[k];
  const lines = [
    `scale simulation: plan and apply --dry-run over simulated hosts (answers recorded from real test hosts), node ${process.version}`,
    `machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${RUNS === 1 ? 'one run each' : `median of ${RUNS}`}; concurrency.hosts from the recording's inventory`,
    '',
    '| hosts | plan s | plan MB | dry-run fresh s | MB | dry-run converged s | MB | cpu s | converged on a terminal s | MB | would change | unanswered | fake ms |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      `| ${r.n} | ${s(r.plan)} | ${mb(r.plan)} | ${s(r.fresh)} | ${mb(r.fresh)} | ${s(r.applied)} | ${mb(r.applied)} | ${(r.applied.cpuMs / 1000).toFixed(2)} | ${s(r.tty)} | ${mb(r.tty)} | ${String(x(r.applied, 'wouldChange'))} | ${(x(r.applied, 'misses') as unknown[]).length + (x(r.fresh, 'misses') as unknown[]).length} | ${Number(x(r.applied, 'fakeMs')).toFixed(0)} |`,
    ),
    '',
    ...plot(rows.map((r) => ({ n: r.n, values: [r.plan.ms, r.applied.ms, r.tty.ms] })), ['plan', 'dry-run converged', 'on a terminal']),
    ...growth(rows),
    'targets at 5,000 hosts: < 10 s and < 500 MB',
  ];
  if (baseRows.length > 0) {
    const ba = (b: Measured | undefined, a: Measured, f: (m: Measured) => string): string => `${b ? f(b) : '-'} -> ${f(a)}`;
    const cpu = (m: Measured): string => (m.cpuMs / 1000).toFixed(2);
    lines.push(
      '',
      `before (${base?.dist}) -> after (this build), same session, interleaved:`,
      '| hosts | plan s | dry-run fresh s | dry-run converged s | converged cpu s | converged MB | on a terminal s |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...baseRows.map((b) => {
        const a = rows.find((r) => r.n === b.n) as Row;
        return `| ${b.n} | ${ba(b.plan, a.plan, s)} | ${ba(b.fresh, a.fresh, s)} | ${ba(b.applied, a.applied, s)} | ${ba(b.applied, a.applied, cpu)} | ${ba(b.applied, a.applied, mb)} | ${ba(b.tty, a.tty, s)} |`;
      }),
    );
  }
  const unanswered = rows.flatMap((r) => [...(x(r.fresh, 'misses') as [string, number][]), ...(x(r.applied, 'misses') as [string, number][])]);
  const changed = rows.flatMap((r) => x(r.applied, 'changedKinds') as [string, number][]);
  if (changed.length > 0) lines.push(`would change on the converged fleet (recorded too: nspawn hosts cannot load ip_vs): ${[...new Map(changed).entries()].map(([k, c]) => `${k} x${c}`).join('; ')}`);
  if (unanswered.length > 0) lines.push(`unanswered calls (not in the recording): ${unanswered.slice(0, 10).map(([k, c]) => `${k} x${c}`).join('; ')}`);
  const table = lines.join('\n');
  console.log(`\n${table}\n`);
  writeFileSync(new URL('./last-sim.txt', import.meta.url), `${table}\n`);
});

/** A small plot: one bar per host count and series, scaled to the largest value. */
function plot(rows: readonly { n: number; values: readonly number[] }[], names: readonly string[]): string[] {
  const max = Math.max(...rows.flatMap((r) => r.values));
  const width = 50;
  return [
    `seconds (bar = ${(max / 1000 / width).toFixed(2)} s per #):`,
    ...rows.flatMap((r) => r.values.map((v, i) => `${(i === 0 ? String(r.n) : '').padStart(6)} ${(names[i] ?? '').padEnd(18)} ${'#'.repeat(Math.max(1, Math.round((v / max) * width)))} ${(v / 1000).toFixed(2)}`)),
    '',
  ];
}

/** How time grows between consecutive host counts: the exponent k of time ~ hosts^k (1 = linear). */
function growth(rows: readonly { n: number; applied: Measured; plan: Measured }[]): string[] {
  const k = (a: number, b: number, na: number, nb: number): string => (Math.log(b / a) / Math.log(nb / na)).toFixed(2);
  return rows.slice(1).map((r, i) => {
    const p = rows[i] as (typeof rows)[number];
    return `${p.n} -> ${r.n} hosts: plan time ~ hosts^${k(p.plan.ms, r.plan.ms, p.n, r.n)}, converged dry-run ~ hosts^${k(p.applied.ms, r.applied.ms, p.n, r.n)} (per host ${(r.applied.ms / r.n).toFixed(2)} ms)`;
  });
}
