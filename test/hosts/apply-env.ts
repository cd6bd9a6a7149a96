/**
 * Shared setup of the real-host apply tests: boot nspawn hosts, build the offline test bundle,
 * write an inventory for them, and run the real CLI (dist/cli/main.js) as a child process.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootHosts, type TestHostGroup } from '../support/test-hosts.js';
import { buildTestBundle, type TestBundle } from '../support/test-bundle.js';
import { hostTestContainerdDir } from '../support/containerd-bin.js';
import { ETCDCTL_BIN } from '../support/etcd-bin.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');

/**
 * Builds dist/ when src/ changed since the last build (a hash of every source file and the build
 * config in test/.work/dist-build-hash): every host test file imports this module afresh, and a tsc
 * build per file cost 10-20 s of the suite each under load.
 */
export function buildCli(): void {
  const marker = join(ROOT, 'test', '.work', 'dist-build-hash');
  const hash = sourceHash();
  const built = ['cli/main.js', 'cli/commands/apply.js', 'deploy/runner.js'].every((f) => existsSync(join(ROOT, 'dist', f)));
  if (built && existsSync(marker) && readFileSync(marker, 'utf8') === hash) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    // tsc emits even when an unrelated file has a type error; the file checks below decide.
  }
  for (const f of ['cli/main.js', 'cli/commands/apply.js', 'deploy/runner.js']) {
    if (!existsSync(join(ROOT, 'dist', f))) throw new Error(`dist/${f} missing after the build`);
  }
  mkdirSync(join(ROOT, 'test', '.work'), { recursive: true });
  writeFileSync(marker, hash);
}

function sourceHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) h.update(`${p}\0`).update(readFileSync(p)).update('\0');
    }
  };
  walk(join(ROOT, 'src'));
  for (const f of ['tsconfig.build.json', 'tsconfig.json', 'package.json']) h.update(readFileSync(join(ROOT, f)));
  return h.digest('hex');
}

/** Result of one CLI run. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON log this run wrote (parsed records), when it printed its path. */
  readonly log: readonly Record<string, unknown>[];
}

/** Starts the CLI; the caller may kill it. */
export function spawnCli(args: readonly string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], cwd: string, timeoutMs = 300_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, cwd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const logPath = /^log: (.+)$/m.exec(stderr)?.[1];
      const log = logPath && existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
      resolve({ code, signal, stdout, stderr, log });
    });
  });
}

/** Per-host totals from a run's log (the run-done record). */
export function summaryOf(run: CliRun): readonly { host: string; changed: number; restarted: string[]; failedIn?: string }[] {
  const done = run.log.find((r) => r.msg === 'run-done');
  return (done?.hosts ?? []) as { host: string; changed: number; restarted: string[]; failedIn?: string }[];
}

/** One inventory host. */
export interface HostSpec {
  readonly name: string;
  readonly roles: readonly string[];
}

/** Everything a test needs. */
export interface ApplyEnv {
  readonly group: TestHostGroup;
  readonly bundle: TestBundle;
  readonly dir: string;
  readonly inventory: string;
  readonly stateDir: string;
  apply(extra?: readonly string[], inventory?: string): Promise<CliRun>;
  /** Writes another inventory variant (the same hosts, less `without`) and returns its path. */
  writeInventory(name: string, over?: { knownHostsFile?: string; user?: string; without?: readonly string[] }): string;
  /** Shuts the hosts down and removes the work dir (bundle, state, logs). */
  close(): Promise<void>;
}

/**
 * Inventory settings a test adds: the Kubernetes version (default v1.31.2, what the stub bundle
 * claims) and lines under `cluster:` / `containerd:` and at the top level (indented as they go).
 */
export interface InventoryExtra {
  readonly kubernetesVersion?: string;
  readonly cluster?: readonly string[];
  readonly containerd?: readonly string[];
  readonly top?: readonly string[];
}

/**
 * Boots hosts, builds the bundle and the inventory. `padBytes` makes the kube stubs big. Booting
 * is CPU-bound here (50 hosts took 116 s at load average 17-56), so the default budget grows with the count.
 * `inventory` may be a function of the booted group, for settings that depend on its network (a VIP).
 */
export async function setupApplyEnv(
  specs: readonly HostSpec[],
  opts: { withUser?: 'deploy'; padBytes?: number; padOnly?: readonly string[]; inventory?: InventoryExtra | ((group: TestHostGroup) => InventoryExtra); kubeTarball?: string; bootTimeoutMs?: number } = {},
): Promise<ApplyEnv> {
  buildCli();
  const dir = mkdtempSync(join(tmpdir(), 'ks-apply-e2e-'));
  const bundleDir = join(dir, 'bundle');
  mkdirSync(bundleDir);
  const real = opts.kubeTarball ?? process.env.KUBESMITH_E2E_K8S_BUNDLE;
  // KUBESMITH_E2E_ETCD_TARBALL: an etcd-vX.Y.Z-linux-amd64.tar.gz to ship instead of the machine's etcd (e.g. a 3.6 build).
  const etcdTarball = process.env.KUBESMITH_E2E_ETCD_TARBALL;
  const bundle = buildTestBundle(bundleDir, {
    ...(opts.padBytes ? { padBytes: opts.padBytes } : {}),
    ...(opts.padOnly ? { padOnly: opts.padOnly } : {}),
    ...(real ? { kubeTarball: real } : {}),
    ...(etcdTarball ? { etcdTarball } : {}),
    containerdDir: hostTestContainerdDir(),
  });
  const group = await bootHosts({ count: specs.length, names: specs.map((s) => s.name), ...(opts.withUser ? { withUser: opts.withUser } : {}), timeoutMs: opts.bootTimeoutMs ?? Math.max(120_000, specs.length * 5_000) });
  const invExtra = typeof opts.inventory === 'function' ? opts.inventory(group) : opts.inventory;
  const write = (name: string, over: { knownHostsFile?: string; user?: string; without?: readonly string[] } = {}): string => {
    const user = over.user ?? opts.withUser ?? 'root';
    const yaml = [
      'apiVersion: kubesmith/v1alpha1',
      'cluster:',
      '  name: e2e',
      `  kubernetesVersion: ${invExtra?.kubernetesVersion ?? 'v1.31.2'}`,
      ...(invExtra?.cluster ?? []).map((l) => `  ${l}`),
      `  etcdVersion: ${bundle.etcdVersion}`,
      'ssh:',
      `  user: ${user}`,
      `  identityFile: ${group.keyFile}`,
      `  knownHostsFile: ${over.knownHostsFile ?? group.knownHostsFile}`,
      '  agent: false',
      ...(user !== 'root' ? ['  sudo: true'] : []),
      'bundle:',
      `  dir: ${bundleDir}`,
      '# nspawn hosts are containers on an overlay root (test-hosts.md)',
      'containerd:',
      '  snapshotter: native',
      '  noNewKeyring: true',
      '  restrictOomScoreAdj: true',
      ...(invExtra?.containerd ?? []).map((l) => `  ${l}`),
      ...(invExtra?.top ?? []),
      'hosts:',
      ...group.hosts.filter((h) => !(over.without ?? []).includes(h.name)).map((h) => `  - { name: ${h.name}, address: ${h.ip}, roles: [${specs.find((s) => s.name === h.name)?.roles.join(', ')}] }`),
      '',
    ].join('\n');
    const path = join(dir, name);
    writeFileSync(path, yaml);
    return path;
  };
  const inventory = write('inventory.yaml');
  return {
    group,
    bundle,
    dir,
    inventory,
    stateDir: join(dir, '.kubesmith', 'e2e'),
    apply: (extra = [], inv = inventory) => runCli(['apply', '-i', inv, ...extra], dir),
    writeInventory: write,
    close: async () => {
      await group.shutdown();
      // KUBESMITH_E2E_KEEP=1 keeps the bundle, state and run logs for a look afterwards.
      if (process.env.KUBESMITH_E2E_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
      else console.log(`kept ${dir}`);
    },
  };
}

/** `etcdctl endpoint health/status` from the test machine, with the healthcheck-client cert copied off a member. */
export function etcdctlFromTest(env: ApplyEnv, members: readonly string[], args: readonly string[]): string {
  const from = env.group.host(members[0] ?? '');
  const certs = join(env.dir, 'etcd-client');
  mkdirSync(certs, { recursive: true, mode: 0o700 });
  for (const f of ['ca.pem', 'healthcheck-client.pem', 'healthcheck-client-key.pem']) writeFileSync(join(certs, f), from.readFile(`/opt/etcd/ssl/${f}`), { mode: 0o600 });
  const endpoints = members.map((m) => `https://${env.group.host(m).ip}:2379`).join(',');
  return execFileSync(
    ETCDCTL_BIN,
    [`--endpoints=${endpoints}`, `--cacert=${join(certs, 'ca.pem')}`, `--cert=${join(certs, 'healthcheck-client.pem')}`, `--key=${join(certs, 'healthcheck-client-key.pem')}`, ...args],
    { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
  );
}
