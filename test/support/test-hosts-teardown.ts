/**
 * What a boot group created, persisted next to its slot claim so that the group's own shutdown,
 * the process-exit hook, or a later process reclaiming a dead owner's slot can undo all of it:
 * nspawn processes (by PID and start time), overlay mounts, cgroup directories, the bridge.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cgroupProcessesSync, killCgroupProcsSync, removeCgroupsSync } from './test-hosts-cgroups.js';
import { run, runSync, sleep, sleepSync } from './test-hosts-shell.js';

/** One booted (or booting) host's resources. */
export interface HostRecord {
  readonly name: string;
  readonly dir: string;
  readonly merged: string;
  pid?: number;
  pidStart?: string | undefined;
  cgroups: string[];
}

/** One boot group's resources. */
export interface GroupRecord {
  readonly slot: number;
  readonly bridge: string;
  readonly dir: string;
  bridgeCreated: boolean;
  readonly hosts: HostRecord[];
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat), to tell a reused PID apart. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True while the recorded process (same PID and start time) is alive and not a zombie. */
export function isAlive(pid: number, start: string | undefined): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && (start === undefined || fields[19] === start);
  } catch {
    return false;
  }
}

/** True when something is mounted at or below `dir` in this mount namespace. */
export function mountedUnder(dir: string): boolean {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => {
      const target = (l.split(' ')[1] ?? '').replace(/\\040/g, ' ');
      return target === dir || target.startsWith(`${dir}/`);
    });
}

/** Stops a host's nspawn (SIGTERM, then SIGKILL after `graceMs`) and removes its cgroups. Sync. */
export function stopHostSync(h: HostRecord, graceMs = 30_000): string[] {
  return stopHostsSync([h], graceMs);
}

/**
 * Stops hosts together: SIGTERM to every nspawn first, then one wait for all of them (SIGKILL for
 * those still up after `graceMs`), then their cgroups. One host after the other took 48 s for 50
 * hosts (each shutdown ~1 s); together they overlap.
 */
export function stopHostsSync(hosts: readonly HostRecord[], graceMs = 30_000): string[] {
  const problems: string[] = [];
  const running = hosts.filter((h) => h.pid !== undefined && isAlive(h.pid, h.pidStart));
  for (const h of running) process.kill(h.pid as number, 'SIGTERM');
  const until = Date.now() + graceMs;
  const up = (): HostRecord[] => running.filter((h) => isAlive(h.pid as number, h.pidStart));
  while (up().length > 0 && Date.now() < until) sleepSync(50);
  const killed = up();
  for (const h of killed) {
    // Said, not failed: what is left of the container is killed below and its cgroups removed (a failure there is one).
    const left = cgroupProcessesSync(h.cgroups);
    console.warn(`test hosts: ${h.name}: nspawn ${h.pid} did not power off within ${graceMs} ms of SIGTERM; killed with its container's processes (${left.length} left: ${left.slice(0, 20).join(', ')})`);
    process.kill(h.pid as number, 'SIGKILL');
  }
  while (up().length > 0) sleepSync(50);
  for (const h of killed) killCgroupProcsSync(h.cgroups);
  for (const h of hosts) {
    delete h.pid;
    delete h.pidStart;
    problems.push(...removeCgroupsSync(h.cgroups));
    h.cgroups = [];
  }
  return problems;
}

/** Undoes everything in the record: hosts, mounts, work directories, bridge. Sync and idempotent. */
export function teardownGroupSync(rec: GroupRecord): string[] {
  const problems: string[] = [];
  problems.push(...stopHostsSync(rec.hosts));
  for (const h of rec.hosts) {
    if (mountedUnder(h.merged)) {
      const r = runSync('umount', [h.merged]);
      if (r.code !== 0) runSync('umount', ['-l', h.merged]);
    }
  }
  if (existsSync(rec.dir)) {
    if (rec.hosts.some((h) => mountedUnder(h.merged)) || mountedUnder(rec.dir)) {
      problems.push(`${rec.dir}: still mounted; left in place`);
    } else {
      rmSync(rec.dir, { recursive: true, force: true });
    }
  }
  if (rec.bridgeCreated || existsSync(`/sys/class/net/${rec.bridge}`)) {
    runSync('ip', ['link', 'del', rec.bridge]);
    rec.bridgeCreated = false;
  }
  return problems;
}

/**
 * nspawn names the machine side of a host's veth `vb-MACHINE` and fails to boot ("Failed to add new
 * veth interfaces: File exists") while one of that name is left from the slot's previous group:
 * the kernel drops it only when the old network namespace is cleaned up, asynchronously, which
 * took seconds under CI load. The slot is ours, so a leftover of that name is a stale one: wait a
 * little for the kernel, then delete it. Names over 15 bytes are hashed by nspawn; ours are short.
 */
export async function removeStaleVeth(machine: string): Promise<void> {
  const veth = `vb-${machine}`;
  if (veth.length > 15) return;
  const until = Date.now() + 5_000;
  while (existsSync(`/sys/class/net/${veth}`) && Date.now() < until) await sleep(100);
  if (existsSync(`/sys/class/net/${veth}`)) await run('ip', ['link', 'del', veth]);
}
