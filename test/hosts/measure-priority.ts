/**
 * CPU priority for the parts a load test measures (test hosts, the writing client, the CLI).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The test hosts stand for dedicated etcd machines and the test process for the client's and the
 * operator's machines, but all share two cores with every other test here (load averages of 15-35
 * were seen): etcd then answers puts in ~1 s and the measurement shows the machine, not the
 * rollout. While measuring, the hosts' cpu cgroups (test-hosts-cgroups.ts: ks-<slot>-<name>) and a
 * cgroup holding this process (the writing client, and the CLI it spawns) get an 8x CPU weight:
 * the measured parts are scheduled before anything else, none is favoured over another (favouring
 * only the hosts starved the client: its 50 ms schedule slipped by 4 s). Returns the undo.
 */
export function prioritize(hosts: readonly { name: string; ip: string }[]): { undo: () => void; said: string } {
  const own = /^\d+:[^:]*\bcpu\b[^:]*:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  const base = join('/sys/fs/cgroup/cpu', own);
  const files = hosts.map((h) => join(base, `ks-${h.ip.split('.')[2]}-${h.name}`, 'cpu.shares')).filter((f) => existsSync(f));
  const old = files.map((f) => readFileSync(f, 'utf8').trim());
  for (const f of files) writeFileSync(f, '8192');
  const client = join(base, `ks-measure-${process.pid}`);
  let moved = false;
  try {
    mkdirSync(client, { recursive: true });
    writeFileSync(join(client, 'cpu.shares'), '8192');
    writeFileSync(join(client, 'cgroup.procs'), String(process.pid));
    moved = true;
  } catch {
    // no writable cpu hierarchy here: measure without it, and say so
  }
  return {
    said: `${files.length} host cgroups and ${moved ? 'the test process' : 'NOT the test process (no cpu cgroup)'} at cpu.shares 8192 (default 1024)`,
    undo: () => {
      files.forEach((f, i) => writeFileSync(f, old[i] ?? '1024'));
      if (moved) {
        writeFileSync(join(base, 'cgroup.procs'), String(process.pid));
        try {
          rmdirSync(client);
        } catch {
          // a CLI child still exiting keeps it a moment; an empty cgroup costs nothing
        }
      }
    },
  };
}
