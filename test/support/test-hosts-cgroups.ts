/**
 * Per-host cgroups for nspawn on a machine without systemd as PID 1 (cgroup v1 or hybrid).
 * Without them nspawn runs every host in the caller's cgroup (two kubelets would share /kubepods)
 * and, in hybrid mode, creates its payload/supervisor groups at the hierarchy root where two hosts
 * would collide. Each host gets a child of the caller's own group in every hierarchy.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleepSync } from './test-hosts-shell.js';

const ROOT = '/sys/fs/cgroup';
/** v1 controllers plus the named systemd hierarchy and the unified (v2) one of hybrid mode. */
const HIERARCHIES = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified'];

/** Path of this process in each mounted hierarchy, keyed by the directory name under /sys/fs/cgroup. */
function ownPaths(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, id, ctrls = '', path = '/'] = m;
    if (id === '0' && ctrls === '') out.set('unified', path);
    for (const c of ctrls.split(',')) if (c !== '') out.set(c.replace(/^name=/, ''), path);
  }
  return out;
}

/** True when the machine uses cgroup v1 (or hybrid), the layout this harness knows how to split. */
export function hasV1Cgroups(): boolean {
  return existsSync(join(ROOT, 'memory', 'cgroup.procs')) && existsSync(join(ROOT, 'systemd'));
}

/** Creates the host's cgroup directories (one per hierarchy, deduplicated) and returns them. */
export function createHostCgroups(leaf: string): string[] {
  const own = ownPaths();
  const seen = new Set<string>();
  const dirs: string[] = [];
  for (const h of HIERARCHIES) {
    const mount = join(ROOT, h);
    if (!existsSync(mount)) continue;
    const real = realpathSync(mount);
    if (seen.has(real)) continue;
    seen.add(real);
    const parent = join(mount, own.get(h) ?? '/');
    const dir = join(parent, leaf);
    mkdirSync(dir, { recursive: true });
    if (h === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, f), readFileSync(join(parent, f)));
    }
    dirs.push(dir);
  }
  return dirs;
}

/** Shell lines that move the running shell into the given groups (then it execs nspawn). */
export function joinCgroupsScript(dirs: readonly string[]): string {
  return dirs.map((d) => `echo $$ > '${d}/cgroup.procs'`).join('\n');
}

/**
 * SIGKILL to every process left in the host's cgroups (all levels). Killing nspawn does not end
 * its container: the container's init and everything under it stay in these groups, and did
 * for more than 10 s after a Kubernetes host ignored SIGTERM at load average 8.
 */
export function killCgroupProcsSync(dirs: readonly string[]): void {
  for (const pid of cgroupPidsSync(dirs)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** What still runs in the host's cgroups: "comm (cgroup)" per process, for the report of a host that did not power off. */
export function cgroupProcessesSync(dirs: readonly string[]): string[] {
  // The named systemd hierarchy holds the container's own unit groups: where a process is says which unit.
  const named = dirs.find((d) => d.includes('/systemd/')) ?? dirs[0];
  return cgroupPidsSync(named === undefined ? [] : [named], true).flatMap((line) => {
    const [pid, where] = line.split(' ');
    try {
      return [`${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()} (${where})`];
    } catch {
      return [];
    }
  });
}

function cgroupPidsSync(dirs: readonly string[], withGroup = false): string[] {
  const pids = (dir: string, rel = '.'): string[] => {
    try {
      const own = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map((p) => (withGroup ? `${p} ${rel}` : p));
      return [...own, ...readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => pids(join(dir, e.name), rel === '.' ? e.name : `${rel}/${e.name}`))];
    } catch {
      return [];
    }
  };
  return [...new Set(dirs.flatMap((d) => pids(d)))];
}

/**
 * Removes cgroup directories depth first; retries for up to 10 s while exiting processes drain (a
 * killed Kubernetes host's pods took longer than 2 s at load average 13).
 */
export function removeCgroupsSync(dirs: readonly string[]): string[] {
  const failed: string[] = [];
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        removeTree(dir);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
        if (attempt >= 100) {
          failed.push(`${dir}: ${(e as Error).message}`);
          break;
        }
        sleepSync(100);
      }
    }
  }
  return failed;
}

function removeTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  rmdirSync(dir);
}
