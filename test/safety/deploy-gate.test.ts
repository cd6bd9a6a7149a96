/**
 * Safety suite, area G (#13 item 15): a host of the run that cannot be reached, locked, probed or
 * preflighted stops `apply` before anything is written on ANY host; no etcd member starts without
 * the others. The real apply program (APPLY_PHASES, on a real plan) runs over in-memory hosts, and one host goes
 * through the real SSH transport to a local server that stalls like an sshd waiting for
 * pam_systemd (test/support/stalling-sshd.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sshTransport } from '../../src/cli/ssh-transport.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import { APPLY_PHASES } from '../../src/deploy/phases/index.js';
import { runPhases, type Transport } from '../../src/deploy/runner.js';
import { LockedError, PhaseError, type KubesmithError } from '../../src/shared/errors.js';
import { tickingClock } from '../deploy/_plan.js';
import { realPlan } from '../deploy/phases/_real-plan.js';
import { FakeHost } from '../support/fake-host.js';
import { startStallingSshd, type StallingSshd } from '../support/stalling-sshd.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const FACTS = (name: string, listen = ''): string =>
  `@os\nID=debian\nVERSION_ID="12"\n@arch\nx86_64\n@systemd\nsystemd 252\n@container\n@time\n${1_700_000_000_000}\n@swap\n@listen\n${listen}@modules\noverlay\nbr_netfilter\nip_vs\nip_vs_rr\nip_vs_wrr\nip_vs_sh\nnf_conntrack\nnf_tables\n@df\n/dev/sda 1 1 99999999 1% /\n@firewalld\ninactive\n@selinux\n@hostname\n${name}\n@hosts\n127.0.0.1 localhost\n@ifaces\n@osfiles\n/usr/sbin/nginx\n/usr/lib/nginx/modules/ngx_stream_module.so\n/usr/sbin/keepalived\n`;

let server: StallingSshd | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Hostile = { readonly sessionNeverOpens?: string; readonly lockedBy?: string; readonly factsFail?: string; readonly port2379Taken?: string };

async function applyWith(h: Hostile) {
  const plan = await realPlan();
  const fakes = new Map<string, FakeHost>();
  const locks: string[] = [];
  const released: string[] = [];
  const real = sshTransport({ KUBESMITH_SSH_SESSION_TIMEOUT: '1' }, 'safety pid 1');
  if (h.sessionNeverOpens) server = await startStallingSshd(Infinity);
  const transport: Transport = {
    connect: async (host, signal, onWait) => {
      if (host.name === h.sessionNeverOpens && server) {
        const ssh = { ...host.ssh, port: server.port, identityFile: server.identityFile, knownHostsFile: server.knownHostsFile, hostKeyPolicy: 'accept-new' as const, agent: false };
        return real.connect({ ...host, address: '127.0.0.1', ssh }, signal, onWait);
      }
      const f = new FakeHost(host.name);
      const listen = host.name === h.port2379Taken ? 'LISTEN 0 128 0.0.0.0:2379 0.0.0.0:* users:(("postgres",pid=7,fd=3))\n' : '';
      f.on((a) => a[0] === 'sh' && a[2]?.includes('echo @os') === true, () =>
        host.name === h.factsFail ? { exitCode: 1, stdout: '', stderr: 'sh: 1: ss: Permission denied' } : { exitCode: 0, stdout: FACTS(host.name, listen), stderr: '' },
      );
      fakes.set(host.name, f);
      return f;
    },
    lock: async (c) => {
      if (c.name === h.lockedBy) throw new LockedError(`${c.name}: another kubesmith run holds the deploy lock /run/lock/kubesmith.lock: bob@laptop pid 9`);
      locks.push(c.name);
      return { release: async () => void released.push(c.name) };
    },
  };
  const events: DeployEvent[] = [];
  const before = server ? snapshotTree(server.identityFile.replace(/\/[^/]+$/, '')) : undefined;
  const err = (await runPhases({ plan, phases: APPLY_PHASES, dryRun: false, transport, emit: (e) => events.push(e), signal: new AbortController().signal, clock: tickingClock() }).then(
    () => undefined,
    (e: unknown) => e,
  )) as KubesmithError | undefined;
  const localChanges = server && before ? treeChanges(before, snapshotTree(server.identityFile.replace(/\/[^/]+$/, ''))) : [];
  return { err, fakes, locks, released, events, localChanges };
}

const phasesRun = (events: readonly DeployEvent[]): string[] => events.flatMap((e) => (e.type === 'phase-start' ? [e.phase] : []));

describe('apply stops before any write when one host of the run fails an early phase', () => {
  it('the phases before the first write are exactly the gates', () => {
    const firstWriter = APPLY_PHASES.findIndex((p) => p.id === 'prepare-hosts');
    expect(APPLY_PHASES.slice(0, firstWriter).map((p) => [p.id, p.gate === true])).toEqual([
      ['connect', true], ['lock', true], ['gather-facts', true], ['preflight', true],
    ]);
    expect(APPLY_PHASES.slice(firstWriter).filter((p) => p.gate)).toEqual([]);
    expect(APPLY_PHASES.findIndex((p) => p.id === 'etcd')).toBeGreaterThan(firstWriter);
  });

  it.each([
    ['an SSH session never opens (pam_systemd)', { sessionNeverOpens: 'node01' }, 'connect', /node01: root@127\.0\.0\.1: the connection was accepted, but no session opened within 1 s/],
    ['another run holds the lock', { lockedBy: 'node01' }, 'lock', /node01: another kubesmith run holds the deploy lock/],
    ['the facts probe fails', { factsFail: 'node01' }, 'gather-facts', /node01: gather-facts: plan: facts probe failed \(exit 1\): sh: 1: ss: Permission denied/],
    ['preflight finds port 2379 taken', { port2379Taken: 'node01' }, 'preflight', /node01: check: port 2379 is in use by postgres/],
  ] as const)('%s: exit 1, the host and reason named, nothing written on any host, every lock released', async (_what, hostile, phase, reason) => {
    const r = await applyWith(hostile);
    expect(r.err).toBeDefined();
    expect(r.err?.detail.join('\n')).not.toMatch(/^(?!node01)\w+: /m); // only node01 failed
    expect(r.err?.exitCode).toBe(1);
    if (phase === 'lock') expect(r.err).toBeInstanceOf(LockedError);
    else {
      expect(r.err).toBeInstanceOf(PhaseError);
      expect(r.err?.message).toBe(`${phase}: failed on 1 host`);
      expect(r.err?.hint).toMatch(/^nothing was written to any host/);
    }
    expect([r.err?.message, ...(r.err?.detail ?? [])].join('\n')).toMatch(reason);
    expect(phasesRun(r.events)).not.toContain('prepare-hosts');
    expect(phasesRun(r.events)).not.toContain('etcd');
    for (const f of r.fakes.values()) expect(f.mutations(), f.name).toEqual([]);
    expect(r.released.sort()).toEqual(r.locks.sort());
    expect([...r.fakes.values()].every((f) => f.closed)).toBe(true);
    // Locally only known_hosts may change (accept-new records the stalling server's key).
    expect(r.localChanges.filter((p) => !p.endsWith('known_hosts'))).toEqual([]);
  });
});
