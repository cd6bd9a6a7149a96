/**
 * The member removal script (etcd-remove.ts REMOVE_SH) run by this machine's real /bin/sh with a
 * stand-in etcdctl (a script: the real refusal needs a member whose peers reconnected within 5 s,
 * which cannot be produced on demand). etcd answers "unhealthy cluster" to a removal while the
 * member asked has not been connected to enough peers for 5 s (its strict reconfiguration check;
 * seen on a loaded CI machine right after move-leader): nothing changed, so the script asks again;
 * any other error stops it at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REMOVE_SH } from '../../../src/deploy/phases/etcd-remove.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-etcd-remove-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in etcdctl: `member list` answers one member; `member remove` fails `failures` times with `error`, then succeeds. */
function fakeEtcdctl(name: string, failures: number, error: string): { bin: string; calls: () => string[] } {
  const bin = join(dir, name);
  const log = `${bin}.log`;
  const count = `${bin}.count`;
  writeFileSync(count, '0');
  writeFileSync(
    bin,
    `#!/bin/sh
echo "$*" >> ${log}
case "$*" in
  *'member list'*) echo 'abc123, started, e3, https://10.0.0.3:2380, https://10.0.0.3:2379, false' ;;
  *'member remove'*) n=$(cat ${count}); echo $((n + 1)) > ${count}
    if [ "$n" -lt ${failures} ]; then echo "Error: ${error}" >&2; exit 1; fi
    echo 'Member abc123 removed from cluster 42' ;;
esac
`,
    { mode: 0o755 },
  );
  return { bin, calls: () => readFileSync(log, 'utf8').trim().split('\n') };
}

// A `sleep` that returns at once, first on PATH: the script's 1 s pauses would make the give-up case take 30 s.
writeFileSync(join(dir, 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` };
const run = (bin: string) => spawnSync('sh', ['-c', REMOVE_SH, 'etcd-remove', 'https://10.0.0.3:2380', '-', 'https://10.0.0.3:2379', bin, '--endpoints=https://10.0.0.1:2379'], { encoding: 'utf8', timeout: 60_000, env });

describe('etcd member removal script', () => {
  it('asks again while etcd answers "unhealthy cluster", then reports the removal', () => {
    const ctl = fakeEtcdctl('unhealthy', 2, 'etcdserver: unhealthy cluster');
    const r = run(ctl.bin);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Member abc123 removed');
    expect(ctl.calls().filter((c) => c.includes('member remove'))).toEqual(Array(3).fill('--endpoints=https://10.0.0.1:2379 member remove abc123'));
  });

  it('gives up after 30 refusals with etcd\'s message and what to check, and runs nothing the message names', () => {
    const ctl = fakeEtcdctl('stuck', 1000, 'etcdserver: unhealthy cluster');
    const r = run(ctl.bin);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('etcdserver: unhealthy cluster');
    expect(r.stderr).toContain('etcd refused this membership change for 30 s as not yet safe');
    expect(r.stderr).toContain('check `kubesmith status` and `journalctl -u etcd` on the members, then run the command again');
    expect(ctl.calls().filter((c) => c.includes('member remove'))).toHaveLength(30);
  });

  it('stops at once on any other error, with etcdctl\'s message', () => {
    const ctl = fakeEtcdctl('other', 5, 'etcdserver: permission denied');
    const r = run(ctl.bin);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('etcdserver: permission denied');
    expect(ctl.calls().filter((c) => c.includes('member remove'))).toHaveLength(1);
  });

  it('removes nothing for a peer URL no member has', () => {
    const ctl = fakeEtcdctl('gone', 0, '');
    const r = spawnSync('sh', ['-c', REMOVE_SH, 'etcd-remove', 'https://10.0.0.9:2380', '-', 'https://10.0.0.9:2379', ctl.bin], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('already removed');
    expect(ctl.calls().some((c) => c.includes('member remove'))).toBe(false);
  });
});
