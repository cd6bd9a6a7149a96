/**
 * Records the answers the simulated fleet of bench/scale replays (run through
 * `node bench/scale/run.mjs --record`, root): boots the recording fleet (cp1..cp3: etcd + control
 * plane, rec-wk1: worker; the stub test bundle), and records every read-only call of
 * `kubesmith apply --dry-run` (record.mjs) twice: on fresh hosts, and after a real first apply
 * (a converged fleet). The answers are normalized and written to fixtures/recorded-fleet.json with
 * the PKI state they were recorded against (a throwaway test CA: see fixtures/README.md):
 * - the worker's name and address become {{W}} / {{WIP}} (the simulation clones it);
 * - the host clock in gather-facts' @time section becomes {{NOW}} (else preflight sees skew);
 * - kubesmith's /etc/hosts block becomes {{HOSTS_BLOCK}} (the simulation writes its own fleet's).
 * The control-plane hosts keep their names and addresses: the simulated fleet reuses them.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { canBootHosts } from '../../test/support/test-hosts.js';
import { setupApplyEnv, type ApplyEnv } from '../../test/hosts/apply-env.js';
import { FIXTURE, RECORD_HOSTS, RECORDED_WORKER, SCALE_INVENTORY } from './_fleet.js';

const RECORD = new URL('./record.mjs', import.meta.url).pathname;
let env: ApplyEnv | undefined;
afterAll(async () => env?.close());

interface RawCall {
  readonly op: 'probe' | 'stat';
  readonly argv?: readonly string[];
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly paths?: readonly string[];
  readonly found?: Record<string, { sha256: string; mode: number; owner: string; size: number }>;
}

/** One host's answers, normalized: probe answers by argv (in call order), stat results by path (null: absent). */
interface HostAnswers {
  probes: Record<string, { exitCode: number; stdout: string; stderr: string }[]>;
  stats: Record<string, { sha256: string; mode: number; owner: string; size: number } | null>;
  /** /etc/hosts as gather-facts read it (normalized): its stat is recomputed from it on replay. */
  etcHosts?: string;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function dryRun(e: ApplyEnv, label: string): { hosts: Record<string, RawCall[]>; output: string } {
  const out = join(e.dir, `record-${label}.json`);
  const r = spawnSync(process.execPath, [RECORD, e.dir, e.inventory, out], { encoding: 'utf8', timeout: 600_000 });
  expect(r.status, r.stderr).toBe(0);
  return { hosts: (JSON.parse(readFileSync(out, 'utf8')) as { hosts: Record<string, RawCall[]> }).hosts, output: r.stderr };
}

function normalizer(workerIp: string): (text: string) => string {
  const ip = new RegExp(`(?<![\\d.])${escapeRe(workerIp)}(?![\\d])`, 'g');
  const name = new RegExp(`(?<![\\w-])${escapeRe(RECORDED_WORKER)}(?![\\w-])`, 'g');
  return (text) =>
    text
      .replace(/# BEGIN kubesmith hosts\n[\s\S]*?# END kubesmith hosts\n/g, '{{HOSTS_BLOCK}}')
      .replace(/^@time\n\d+$/m, '@time\n{{NOW}}')
      .replace(name, '{{W}}')
      .replace(ip, '{{WIP}}');
}

function normalize(calls: readonly RawCall[], norm: (s: string) => string): HostAnswers {
  const out: HostAnswers = { probes: {}, stats: {} };
  for (const c of calls) {
    if (c.op === 'probe') {
      const key = JSON.stringify((c.argv ?? []).map(norm));
      const stdout = norm(c.stdout ?? '');
      (out.probes[key] ??= []).push({ exitCode: c.exitCode ?? 0, stdout, stderr: norm(c.stderr ?? '') });
      const hosts = /\n@hosts\n([\s\S]*?)\n?@ifaces\n/.exec(`\n${stdout}`)?.[1];
      // The block placeholder took its own line end with it.
      if (hosts !== undefined) out.etcHosts = hosts.endsWith('{{HOSTS_BLOCK}}') ? hosts : `${hosts}\n`;
    } else {
      for (const p of c.paths ?? []) out.stats[norm(p)] = c.found?.[p] ?? null;
    }
  }
  return out;
}

function stateFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (rel === '' && e.name !== 'pki') continue; // logs, cache, backups: not state the simulation needs
        walk(join(d, e.name), join(rel, e.name));
      } else out[join(rel, e.name)] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

it.skipIf(!canBootHosts().ok)('records the fleet the scale simulation replays', async () => {
  env = await setupApplyEnv(RECORD_HOSTS, { inventory: SCALE_INVENTORY });
  const worker = env.group.host(RECORDED_WORKER);
  const norm = normalizer(worker.ip);
  const fresh = dryRun(env, 'fresh');
  const first = await env.apply();
  expect(first.code, first.stderr).toBe(0);
  const applied = dryRun(env, 'applied');
  const wouldChange = applied.output.split('\n').filter((l) => /: would change: /.test(l));
  const scenario = (hosts: Record<string, RawCall[]>): Record<string, HostAnswers> =>
    Object.fromEntries(Object.entries(hosts).map(([h, calls]) => [h === RECORDED_WORKER ? '{{W}}' : h, normalize(calls, norm)]));
  const bundle = Object.fromEntries(
    readdirSync(env.bundle.dir).filter((f) => !f.startsWith('.')).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(env!.bundle.dir, f))).digest('hex')]),
  );
  const fixture = {
    about: 'answers of real test hosts to `kubesmith apply --dry-run`, recorded by bench/scale/record.bench-run.ts; replayed by bench/scale/fake-fleet.mjs',
    recorded: new Date().toISOString(),
    machine: `${spawnSync('uname', ['-srm'], { encoding: 'utf8' }).stdout.trim()}; node ${process.version}`,
    inventory: readFileSync(env.inventory, 'utf8'),
    fleet: env.group.hosts.map((h) => ({ name: h.name === RECORDED_WORKER ? '{{W}}' : h.name, ip: h.name === RECORDED_WORKER ? '{{WIP}}' : h.ip })),
    bundle,
    /** The PKI state (relative to the cluster's state directory) the answers were recorded against. */
    state: stateFiles(env.stateDir),
    /** Dry-run steps that would still change on the converged fleet (the re-apply's own dry-run). */
    appliedWouldChange: wouldChange,
    scenarios: { fresh: scenario(fresh.hosts), applied: scenario(applied.hosts) },
  };
  mkdirSync(dirname(FIXTURE), { recursive: true });
  writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`recorded ${Object.keys(fixture.scenarios.fresh).length} hosts into ${FIXTURE}; converged dry-run still would change: ${wouldChange.length} step(s)\n${wouldChange.join('\n')}`);
});
