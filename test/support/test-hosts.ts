/**
 * Real Linux test hosts for the deployer: systemd-nspawn containers on an overlay of the machine's
 * root, each with its own systemd, sshd, hostname, machine-id, SSH host keys, cgroups and a static
 * address on a per-group bridge (see /work/shared/reference/test-hosts.md). Needs root.
 *
 *   const group = await bootHosts({ count: 3 });       // in beforeAll
 *   await group.hosts[0].ssh('systemctl is-active ssh');
 *   await group.shutdown();                            // in afterAll (also runs on process exit)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createHostCgroups, joinCgroupsScript } from './test-hosts-cgroups.js';
import { hidePaths } from './test-hosts-hide.js';
import { prepareRoot } from './test-hosts-root.js';
import { type LocalResult, run, runOk, sleep } from './test-hosts-shell.js';
import { claimSlot, releaseSlot, saveRecord, type Slot } from './test-hosts-slot.js';
import { type GroupRecord, type HostRecord, isAlive, processStart, removeStaleVeth, stopHostSync, teardownGroupSync } from './test-hosts-teardown.js';
export { canBootHosts } from './test-hosts-check.js';

/** Options of bootHosts(). */
export interface BootOptions {
  readonly count: number;
  /** Host names. @default ["h1", "h2", ...] */
  readonly names?: readonly string[];
  /** Also create this non-root user with password-less sudo and the test key. */
  readonly withUser?: 'deploy';
  /** @default 60_000 */
  readonly timeoutMs?: number;
  /** Per host name: machine paths that host must not see (test-hosts-hide.ts). */
  readonly hide?: Readonly<Record<string, readonly string[]>>;
}

/** One running test host. */
export interface TestHost {
  readonly name: string;
  readonly ip: string;
  /**
   * The host's root as the machine sees it (overlay merged dir); read files here for assertions.
   * /tmp and /run inside a running host are nspawn's own tmpfs mounts and do not show here.
   */
  readonly rootDir: string;
  readonly sshPort: 22;
  /** Absolute machine path of a path inside the host. */
  path(inside: string): string;
  /** Reads a file inside the host directly (no ssh). */
  readFile(inside: string): string;
  /** Runs a shell command in the host through the system ssh client (root unless `user`). */
  ssh(command: string, opts?: { user?: string; input?: string; timeoutMs?: number }): Promise<LocalResult>;
  /** Powers the host off (clean shutdown); its disk (overlay) is kept. */
  stop(): Promise<void>;
  /** Boots a stopped host again and waits until it is ready. */
  start(): Promise<void>;
}

/** A group of hosts on one bridge. */
export interface TestHostGroup {
  readonly hosts: readonly TestHost[];
  /** Private key (ed25519, 0600) authorized for root (and the sudo user). */
  readonly keyFile: string;
  /** known_hosts with every host's real host keys, by IP. */
  readonly knownHostsFile: string;
  readonly bridge: string;
  /** The machine's address on the bridge (hosts' default gateway). */
  readonly gateway: string;
  readonly user: string | undefined;
  /** SshSettings overrides for an InventoryHost of this group: aHost(h.name, h.ip, roles, group.ssh). */
  readonly ssh: {
    readonly identityFile: string;
    readonly knownHostsFile: string;
    readonly agent: false;
    readonly hostKeyPolicy: 'strict';
  };
  host(name: string): TestHost;
  shutdown(): Promise<void>;
}

const WORK_ROOT = '/tmp/kubesmith-hosts';
const live = new Map<GroupRecord, Slot>();

/** Boots `count` hosts in parallel and waits until systemd is up and sshd accepts the test key. */
export async function bootHosts(opts: BootOptions): Promise<TestHostGroup> {
  const names = opts.names ?? Array.from({ length: opts.count }, (_, i) => `h${i + 1}`);
  if (names.length !== opts.count) throw new Error(`test hosts: ${opts.count} hosts but ${names.length} names`);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  installExitHooks();
  const slot = claimSlot();
  const dir = join(WORK_ROOT, `slot-${slot.n}`);
  const rec: GroupRecord = {
    slot: slot.n,
    bridge: `ksbr${slot.n}`,
    dir,
    bridgeCreated: false,
    hosts: names.map((name) => ({ name, dir: join(dir, name), merged: join(dir, name, 'merged'), cgroups: [] })),
  };
  live.set(rec, slot);
  saveRecord(slot, rec);
  try {
    return await bootGroup(rec, slot, names, opts, deadline);
  } catch (e) {
    finish(rec);
    throw e;
  }
}

async function bootGroup(rec: GroupRecord, slot: Slot, names: readonly string[], opts: BootOptions, deadline: number): Promise<TestHostGroup> {
  const net = `10.77.${slot.n}`;
  const gateway = `${net}.1`;
  const peers = names.map((name, i) => ({ name, ip: `${net}.${11 + i}` }));
  mkdirSync(rec.dir, { recursive: true });
  const keyFile = join(rec.dir, 'id_ed25519');
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kubesmith-test', '-f', keyFile]);
  const authorizedKey = readFileSync(`${keyFile}.pub`, 'utf8');

  await runOk('ip', ['link', 'add', rec.bridge, 'type', 'bridge']);
  rec.bridgeCreated = true;
  saveRecord(slot, rec);
  await runOk('ip', ['addr', 'add', `${gateway}/24`, 'dev', rec.bridge]);
  await runOk('ip', ['link', 'set', rec.bridge, 'up']);

  const knownHosts: string[] = [];
  await Promise.all(
    rec.hosts.map(async (h, i) => {
      const ip = peers[i]!.ip;
      for (const sub of ['upper', 'work', 'merged']) mkdirSync(join(h.dir, sub), { recursive: true });
      await hidePaths(join(h.dir, 'upper'), opts.hide?.[h.name] ?? []);
      await runOk('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=/,upperdir=${h.dir}/upper,workdir=${h.dir}/work`, h.merged]);
      const keys = await prepareRoot({
        root: h.merged, name: h.name, ip, prefixLength: 24, gateway, peers, authorizedKey,
        ...(opts.withUser ? { user: opts.withUser } : {}),
      });
      knownHosts.push(...keys.map((k) => `${ip} ${k}`));
    }),
  );
  const knownHostsFile = join(rec.dir, 'known_hosts');
  writeFileSync(knownHostsFile, `${knownHosts.sort().join('\n')}\n`);

  const ctx: GroupCtx = { rec, slot, keyFile, knownHostsFile, user: opts.withUser };
  const hosts = rec.hosts.map((h, i) => makeHost(ctx, h, peers[i]!.ip));
  await Promise.all(hosts.map((h, i) => startHost(ctx, rec.hosts[i]!, h, deadline)));
  return {
    hosts, keyFile, knownHostsFile, bridge: rec.bridge, gateway, user: opts.withUser,
    ssh: { identityFile: keyFile, knownHostsFile, agent: false, hostKeyPolicy: 'strict' },
    host: (name) => hosts.find((h) => h.name === name) ?? fail(`test hosts: no host named ${name}`),
    shutdown: async () => finish(rec),
  };
}

interface GroupCtx {
  readonly rec: GroupRecord;
  readonly slot: Slot;
  readonly keyFile: string;
  readonly knownHostsFile: string;
  readonly user: string | undefined;
}

function makeHost(ctx: GroupCtx, h: HostRecord, ip: string): TestHost {
  const host: TestHost = {
    name: h.name, ip, rootDir: h.merged, sshPort: 22,
    path: (inside) => join(h.merged, inside),
    readFile: (inside) => readFileSync(join(h.merged, inside), 'utf8'),
    ssh: (command, o = {}) => sshRun(ctx, ip, command, o),
    stop: async () => {
      const problems = stopHostSync(h);
      saveRecord(ctx.slot, ctx.rec);
      if (problems.length > 0) throw new Error(`test hosts: ${problems.join('; ')}`);
    },
    start: () => startHost(ctx, h, host, Date.now() + 60_000),
  };
  return host;
}

/** The system ssh client with the group's key and known_hosts (strict host key checking). */
export function sshArgs(keyFile: string, knownHostsFile: string, connectTimeoutS = 3): string[] {
  return [
    '-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHostsFile}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `ConnectTimeout=${connectTimeoutS}`,
    '-o', 'LogLevel=ERROR',
  ];
}

function sshRun(ctx: GroupCtx, ip: string, command: string, o: { user?: string; input?: string; timeoutMs?: number }): Promise<LocalResult> {
  const args = [...sshArgs(ctx.keyFile, ctx.knownHostsFile), `${o.user ?? 'root'}@${ip}`, '--', command];
  return run('ssh', args, { ...(o.input !== undefined ? { input: o.input } : {}), timeoutMs: o.timeoutMs ?? 120_000 });
}

async function startHost(ctx: GroupCtx, h: HostRecord, host: TestHost, deadline: number): Promise<void> {
  if (h.pid !== undefined && isAlive(h.pid, h.pidStart)) return;
  h.cgroups = createHostCgroups(`ks-${ctx.slot.n}-${h.name}`);
  saveRecord(ctx.slot, ctx.rec);
  await removeStaleVeth(`ks${ctx.slot.n}-${h.name}`);
  const log = openSync(join(h.dir, 'console.log'), 'a');
  const nspawn = [
    'systemd-nspawn', '-q', '-D', h.merged, '-M', `ks${ctx.slot.n}-${h.name}`, '--hostname', h.name,
    '--register=no', '--keep-unit', '--link-journal=no', '--resolv-conf=off', `--network-bridge=${ctx.rec.bridge}`, '-b',
  ];
  // The shell joins the host's cgroups, then becomes nspawn (same PID); detached = own session.
  const child = spawn('sh', ['-c', `${joinCgroupsScript(h.cgroups)}\nexec "$@"`, 'sh', ...nspawn], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`test hosts: ${h.name}: could not start systemd-nspawn`);
  h.pid = child.pid;
  h.pidStart = processStart(child.pid);
  saveRecord(ctx.slot, ctx.rec);
  await waitReady(ctx, h, host, deadline);
}

/** Waits until sshd accepts the key and `systemctl is-system-running --wait` says running/degraded. */
async function waitReady(ctx: GroupCtx, h: HostRecord, host: TestHost, deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    if (h.pid === undefined || !isAlive(h.pid, h.pidStart)) break;
    if (!(await portOpen(host.ip, 22, 300))) {
      last = 'port 22 not open yet';
      await sleep(100);
      continue;
    }
    const left = Math.max(1000, deadline - Date.now());
    const r = await host.ssh('systemctl is-system-running --wait', { timeoutMs: left });
    const state = r.stdout.trim();
    if (state === 'running' || state === 'degraded') {
      if (ctx.user === undefined) return;
      const s = await host.ssh('sudo -n true', { user: ctx.user, timeoutMs: left });
      if (s.code === 0) return;
      last = `sudo as ${ctx.user}: ${s.stderr.trim()}`;
    } else {
      last = r.code === 255 ? r.stderr.trim() : `system state ${state || r.stderr.trim()}`;
    }
    await sleep(200);
  }
  const consoleTail = readFileSync(join(h.dir, 'console.log'), 'utf8').split('\n').slice(-15).join('\n');
  throw new Error(`test hosts: ${h.name} (${host.ip}) not ready in time: ${last}\nconsole:\n${consoleTail}`);
}

/** One TCP connect attempt with a short timeout (cheaper than ssh while the address is not up). */
function portOpen(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: ip, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function finish(rec: GroupRecord): void {
  const slot = live.get(rec);
  if (slot === undefined) return;
  const problems = teardownGroupSync(rec);
  live.delete(rec);
  releaseSlot(slot);
  if (problems.length > 0) throw new Error(`test hosts: teardown problems: ${problems.join('; ')}`);
}

let hooked = false;
/** Tears every live group down when the process exits or is told to stop, even if afterAll never ran. */
function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  const all = (): void => {
    for (const rec of [...live.keys()]) {
      try {
        finish(rec);
      } catch {
        // Best effort at exit; a later run reclaims anything left.
      }
    }
  };
  process.on('exit', all);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      all();
      process.kill(process.pid, sig);
    });
  }
}

function fail(msg: string): never {
  throw new Error(msg);
}
