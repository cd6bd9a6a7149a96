import { describe, expect, it } from 'vitest';
import { runPhases, type Transport } from '../../src/deploy/runner.js';
import type { Phase } from '../../src/deploy/phase.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import { Interrupted, LockedError, PhaseError, SshError, UsageError } from '../../src/shared/errors.js';
import { FakeHost } from '../support/fake-host.js';
import { aPlan, anArtifact, tickingClock } from './_plan.js';
import { connect as realConnect } from '../../src/deploy/phases/connect.js';
import { lock as realLock } from '../../src/deploy/phases/lock.js';
import { gatherFacts as realGatherFacts } from '../../src/deploy/phases/gather-facts.js';
import { preflight as realPreflight } from '../../src/deploy/phases/preflight.js';

const all = (id: string, extra: Partial<Phase> = {}): Phase => ({ id, title: id, hosts: (p) => p.hosts, plan: () => [], ...extra });
const connect: Phase = { ...realConnect, hosts: (p) => p.hosts };
const lock: Phase = { ...realLock, hosts: (p) => p.hosts };
const files: Phase = all('files', { plan: ({ host }) => [{ kind: 'put', artifact: anArtifact(host.host.name, '/etc/demo.conf', `host=${host.host.name}\n`) }] });
const etcdOnly: Phase = all('etcd', { hosts: (p) => p.hosts.filter((h) => h.host.roles.includes('etcd')) });
// The real early phases carry the all-or-nothing gate; these stand-ins take it from them.
const gatherFacts: Phase = { ...all('gather-facts'), always: true, ...(realGatherFacts.gate ? { gate: true } : {}) };
const preflight: Phase = { ...all('preflight'), ...(realPreflight.gate ? { gate: true } : {}) };

function harness(opts: { down?: readonly string[]; locked?: readonly string[]; lockFails?: readonly string[] } = {}) {
  const hosts = new Map<string, FakeHost>();
  const locks: string[] = [];
  const released: string[] = [];
  const transport: Transport = {
    connect: async (h) => {
      if (opts.down?.includes(h.name)) throw new SshError('E_SSH_CONNECT', h.name, `connect ${h.address}:22: connection refused`, { hint: 'is the host up?' });
      const f = new FakeHost(h.name);
      f.seed('/etc/.keep', '');
      hosts.set(h.name, f);
      return f;
    },
    lock: async (c) => {
      if (opts.locked?.includes(c.name)) throw new LockedError(`${c.name}: another kubesmith apply holds the lock (root@ci pid 42)`, { hint: 'wait for it to finish' });
      if (opts.lockFails?.includes(c.name)) throw new SshError('E_SSH_CONNECT', c.name, 'cannot open a channel for the deploy lock: No response from server');
      locks.push(c.name);
      return { release: async () => void released.push(c.name) };
    },
  };
  const events: DeployEvent[] = [];
  const run = (phases: Phase[], extra: { only?: string[]; skip?: string[]; limit?: string[]; dryRun?: boolean; signal?: AbortSignal } = {}) =>
    runPhases({ plan: aPlan(), phases, dryRun: extra.dryRun ?? false, transport, emit: (e) => events.push(e), signal: extra.signal ?? new AbortController().signal, clock: tickingClock(), ...extra });
  return { hosts, locks, released, events, run };
}

const phaseOrder = (events: DeployEvent[]): string[] => events.flatMap((e) => (e.type === 'phase-start' ? [e.phase] : []));

describe('runPhases', () => {
  it('runs phases in order as barriers, on each phase\'s hosts, and releases locks and connections', async () => {
    const h = harness();
    const res = await h.run([connect, lock, files, etcdOnly]);
    expect(phaseOrder(h.events)).toEqual(['connect', 'lock', 'files', 'etcd']);
    const etcdStart = h.events.find((e) => e.type === 'phase-start' && e.phase === 'etcd');
    expect(etcdStart).toMatchObject({ hosts: ['master01', 'node01', 'node02'] });
    const lastFiles = h.events.findLastIndex((e) => e.type === 'host-done' && e.phase === 'files');
    expect(lastFiles).toBeLessThan(h.events.indexOf(etcdStart as DeployEvent));
    // each host-done carries the time that host spent in the phase (the clock ticks on every read)
    const hostDone = h.events.filter((e) => e.type === 'host-done');
    expect(hostDone.length).toBeGreaterThan(0);
    expect(hostDone.every((e) => e.type === 'host-done' && e.durationMs > 0)).toBe(true);
    expect(res.hosts.map((s) => [s.host, s.changed])).toEqual([['master01', 1], ['master02', 1], ['node01', 1], ['node02', 1]]);
    expect(h.locks.sort()).toEqual(h.released.sort());
    expect([...h.hosts.values()].every((f) => f.closed)).toBe(true);
  });

  it('applies --only, --skip and --limit, and rejects unknown names', async () => {
    const h = harness();
    await h.run([connect, lock, files, etcdOnly], { only: ['etcd'], limit: ['node01', 'master02'] });
    expect(phaseOrder(h.events)).toEqual(['connect', 'lock', 'etcd']);
    expect([...h.hosts.keys()].sort()).toEqual(['master02', 'node01']);
    const h2 = harness();
    await h2.run([connect, lock, files, etcdOnly], { skip: ['files'] });
    expect(phaseOrder(h2.events)).toEqual(['connect', 'lock', 'etcd']);
    await expect(h.run([connect, files], { only: ['nope'] })).rejects.toThrow(UsageError);
    await expect(h.run([connect, files], { skip: ['connect'] })).rejects.toThrow(/always runs/);
    await expect(h.run([connect, files], { limit: ['ghost'] })).rejects.toThrow(/unknown host "ghost"/);
  });

  it('after the gate phases, keeps going on the other hosts when one fails, and reports every failure together', async () => {
    const h = harness();
    const failing = all('check', { check: ({ host }) => (host.host.name === 'node02' ? [{ severity: 'error', message: 'port 2379 is in use by postgres' }] : []) });
    const breaks = all('breaks', { verify: async (host) => (host.name === 'node01' ? Promise.reject(new Error('unit failed on node01')) : []) });
    const err = await h.run([connect, lock, breaks, failing, files]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseError);
    const failures = (err as PhaseError).failures.map((f) => [f.host, f.step]);
    expect(failures).toEqual([['node01', 'breaks: verify'], ['node02', 'check: check']]);
    expect((err as PhaseError).detail.join('\n')).toMatch(/node01: breaks: verify: unit failed on node01[\s\S]*port 2379 is in use/);
    expect(h.hosts.get('master01')?.text('/etc/demo.conf')).toBe('host=master01\n');
    expect(h.hosts.get('node02')?.text('/etc/demo.conf')).toBeUndefined();
    const done = h.events.find((e) => e.type === 'run-done');
    expect(done).toMatchObject({ hosts: expect.arrayContaining([expect.objectContaining({ host: 'node01', failedIn: 'breaks' })]) });
  });

  // #13 item 15: a host that fails connect, lock, gather-facts or preflight must stop the whole run
  // before any etcd member starts: two of three members would form a partial cluster.
  it.each([
    ['connect', { down: ['node01'] }, [gatherFacts, preflight]],
    ['lock', { lockFails: ['node01'] }, [gatherFacts, preflight]],
    ['gather-facts', {}, [{ ...gatherFacts, gather: async (r: { name: string }) => (r.name === 'node01' ? Promise.reject(new Error('facts probe failed (exit 1)')) : {}) }, preflight]],
    ['preflight', {}, [gatherFacts, { ...preflight, check: ({ host }: { host: { host: { name: string } } }) => (host.host.name === 'node01' ? [{ severity: 'error' as const, message: 'port 2379 is in use by postgres' }] : []) }]],
  ] as const)('a host failing %s stops the run before anything is written on any host', async (phase, opts, early) => {
    const h = harness(opts);
    const err = await h.run([connect, lock, ...(early as unknown as Phase[]), files, etcdOnly]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseError);
    const pe = err as PhaseError;
    expect(pe.failures.map((f) => f.host)).toEqual(['node01']);
    expect(pe.message).toMatch(new RegExp(`^${phase}: failed on 1 host`));
    expect(pe.hint).toMatch(/nothing was written to any host/);
    expect(pe.hint).toMatch(/--limit/);
    expect(phaseOrder(h.events)).not.toContain('files');
    expect(phaseOrder(h.events)).not.toContain('etcd');
    for (const f of h.hosts.values()) expect(f.mutations()).toEqual([]);
    expect(h.released.sort()).toEqual(h.locks.sort());
    expect([...h.hosts.values()].every((f) => f.closed)).toBe(true);
  });

  it('shows a slow host\'s progress lines (the transport\'s onWait) as warnings of that host', async () => {
    const h = harness();
    const transport: Transport = {
      connect: async (host, _signal, onWait) => (onWait?.(`waiting for ${host.name} to open a session 15 s`), new FakeHost(host.name)),
      lock: async (c, _signal, onWait) => (onWait?.(`waiting for ${c.name} to answer the deploy lock`), { release: async () => undefined }),
    };
    await runPhases({ plan: aPlan(), phases: [connect, lock], dryRun: false, transport, emit: (e) => h.events.push(e), signal: new AbortController().signal, clock: tickingClock(), limit: ['node01'] });
    expect(h.events.filter((e) => e.type === 'warning')).toEqual([
      { type: 'warning', phase: 'connect', host: 'node01', message: 'waiting for node01 to open a session 15 s' },
      { type: 'warning', phase: 'lock', host: 'node01', message: 'waiting for node01 to answer the deploy lock' },
    ]);
  });

  it('the gate covers only the hosts of the run: --limit leaves a down host out and the run completes', async () => {
    const h = harness({ down: ['node01'] });
    const res = await h.run([connect, lock, gatherFacts, preflight, files, etcdOnly], { limit: ['master01', 'node02'] });
    expect(res.hosts.map((s) => [s.host, s.changed, s.failedIn ?? 'ok'])).toEqual([['master01', 1, 'ok'], ['node02', 1, 'ok']]);
    expect(phaseOrder(h.events)).toContain('etcd');
  });

  it('drops the runnable answer of a binary a phase wrote, so the next phase judges the new file (not in a dry-run)', async () => {
    const judged = { runnable: new Map<string, string | undefined>([['/opt/bin/kubelet', 'running as pid 7'], ['/opt/bin/kube-proxy', 'running as pid 8']]) };
    const facts: Phase = { ...gatherFacts, gather: async () => judged };
    const binaries: Phase = all('binaries', { plan: ({ host }) => [{ kind: 'put', artifact: anArtifact(host.host.name, '/opt/bin/kubelet', 'new kubelet') }] });
    const seen = new Map<string, readonly string[]>();
    const nodes: Phase = all('nodes', { gather: async (_h, input) => (seen.set(input.host.host.name, [...(input.facts.runnable?.keys() ?? [])]), {}) });
    const h = harness();
    await h.run([connect, lock, facts, binaries, nodes]);
    expect(seen.get('node01')).toEqual(['/opt/bin/kube-proxy']);
    const d = harness();
    seen.clear();
    await d.run([connect, lock, facts, binaries, nodes], { dryRun: true });
    expect(seen.get('node01')).toEqual(['/opt/bin/kubelet', '/opt/bin/kube-proxy']);
  });

  it('labels a failed readiness check "verify", not "plan"', async () => {
    const h = harness();
    const unready = all('etcd', {
      verify: async (host) => {
        if (host.name === 'node01') throw new Error('etcd on node01 is not healthy after 120 s');
        return [];
      },
    });
    const err = await h.run([connect, lock, unready]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseError);
    expect((err as PhaseError).failures.map((f) => [f.host, f.step, f.error.message])).toEqual([
      ['node01', 'etcd: verify', 'etcd on node01 is not healthy after 120 s'],
    ]);
  });

  it('stops the whole run when another apply holds the lock', async () => {
    const h = harness({ locked: ['master02'] });
    await expect(h.run([connect, lock, files])).rejects.toThrow(/holds the lock/);
    expect([...h.hosts.values()].some((f) => f.files.has('/etc/demo.conf'))).toBe(false);
    expect(h.released.sort()).toEqual(h.locks.sort());
  });

  it('dry-run takes no lock and writes nothing', async () => {
    const h = harness();
    await h.run([connect, lock, files], { dryRun: true });
    expect(h.locks).toEqual([]);
    for (const f of h.hosts.values()) expect(f.mutations()).toEqual([]);
    const steps = h.events.flatMap((e) => (e.type === 'step' ? [[e.host, e.status, e.detail]] : []));
    expect(steps).toContainEqual(['master01', 'changed', 'would write (new)']);
  });

  it('turns an abort into Interrupted and still releases every lock', async () => {
    const h = harness();
    const ac = new AbortController();
    const abortAfterLock: Phase = all('stop', { plan: () => (ac.abort(new Error('SIGINT')), []) });
    await expect(h.run([connect, lock, abortAfterLock, files], { signal: ac.signal })).rejects.toThrow(Interrupted);
    expect(h.released.sort()).toEqual(h.locks.sort());
    expect([...h.hosts.values()].some((f) => f.files.has('/etc/demo.conf'))).toBe(false);
  });
});
