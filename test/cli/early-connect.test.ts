/**
 * Logins started before the plan is built (src/cli/early-connect.ts): the runner's connect gets
 * the login already under way with its "waiting" notices, and logins the run does not take are
 * stopped or closed at once, never waited for.
 */
import { describe, expect, it } from 'vitest';
import { earlyConnect } from '../../src/cli/early-connect.js';
import type { Transport } from '../../src/deploy/runner.js';
import type { HostConnection } from '../../src/deploy/ssh/connection.js';
import { FakeHost } from '../support/fake-host.js';
import { exampleInventory } from '../support/inventory-builder.js';

const hosts = exampleInventory().hosts;

/** A transport whose logins finish when the test says; records the calls. */
function gatedTransport() {
  const calls: string[] = [];
  const open = new Map<string, { resolve: (c: HostConnection) => void; signal: AbortSignal; notify?: (m: string) => void }>();
  const closed: string[] = [];
  const transport: Transport = {
    connect: (host, signal, onWait) =>
      new Promise<HostConnection>((resolve, reject) => {
        calls.push(host.name);
        signal.addEventListener('abort', () => reject(new Error(`${host.name}: stopped`)));
        const conn = new FakeHost(host.name);
        const close = conn.close.bind(conn);
        conn.close = async () => (closed.push(host.name), close());
        open.set(host.name, { resolve: () => resolve(conn), signal, ...(onWait ? { notify: onWait } : {}) });
      }),
    lock: (conn, _signal, onWait) => {
      calls.push(`lock ${conn.name}`);
      onWait?.(`${conn.name}: waiting for the lock`);
      return Promise.resolve({ release: () => Promise.resolve() });
    },
  };
  return { transport, calls, open, closed };
}

describe('earlyConnect', () => {
  it('logs in at once; the runner takes the same login, with the notices given before it asked', async () => {
    const t = gatedTransport();
    const early = earlyConnect(t.transport, hosts.slice(0, 2), new AbortController().signal);
    expect(t.calls).toEqual([hosts[0]?.name, hosts[1]?.name]);
    t.open.get(hosts[0]?.name ?? '')?.notify?.('waiting for the first session');
    const seen: string[] = [];
    const conn = early.connect(hosts[0] as (typeof hosts)[number], new AbortController().signal, (m) => seen.push(m));
    t.open.get(hosts[0]?.name ?? '')?.notify?.('still waiting');
    t.open.get(hosts[0]?.name ?? '')?.resolve(undefined as never);
    expect((await conn).name).toBe(hosts[0]?.name);
    expect(seen).toEqual(['waiting for the first session', 'still waiting']);
    expect(t.calls).toHaveLength(2); // no second login
  });

  it('discard closes logins the run did not take and stops those still under way, without waiting for them', async () => {
    const t = gatedTransport();
    const early = earlyConnect(t.transport, hosts.slice(0, 3), new AbortController().signal);
    t.open.get(hosts[1]?.name ?? '')?.resolve(undefined as never);
    await early.connect(hosts[1] as (typeof hosts)[number], new AbortController().signal);
    t.open.get(hosts[2]?.name ?? '')?.resolve(undefined as never);
    await early.discard();
    expect(t.open.get(hosts[0]?.name ?? '')?.signal.aborted).toBe(true);
    expect(t.closed).toEqual([hosts[2]?.name]);
  });

  it('a host it did not log in to is connected by the transport as before', async () => {
    const t = gatedTransport();
    const early = earlyConnect(t.transport, [], new AbortController().signal);
    const conn = early.connect(hosts[0] as (typeof hosts)[number], new AbortController().signal);
    t.open.get(hosts[0]?.name ?? '')?.resolve(undefined as never);
    expect((await conn).name).toBe(hosts[0]?.name);
  });

  it('with lock, takes the run\'s lock as soon as a login is done; the runner\'s lock phase gets that lock and its notices', async () => {
    const t = gatedTransport();
    const early = earlyConnect(t.transport, hosts.slice(0, 2), new AbortController().signal, { lock: true });
    t.open.get(hosts[0]?.name ?? '')?.resolve(undefined as never);
    const conn = await early.connect(hosts[0] as (typeof hosts)[number], new AbortController().signal);
    await new Promise((r) => setImmediate(r));
    expect(t.calls).toEqual([hosts[0]?.name, hosts[1]?.name, `lock ${hosts[0]?.name}`]); // before the runner asked
    const seen: string[] = [];
    await early.lock(conn, new AbortController().signal, (m) => seen.push(m));
    expect(seen).toEqual([`${hosts[0]?.name}: waiting for the lock`]);
    expect(t.calls.filter((c) => c.startsWith('lock '))).toHaveLength(1); // not locked twice
    await early.lock(conn, new AbortController().signal); // a second ask (not the runner's) locks again
    expect(t.calls.filter((c) => c.startsWith('lock '))).toHaveLength(2);
  });

  it('without lock (a dry-run), nothing is locked until the runner asks', async () => {
    const t = gatedTransport();
    const early = earlyConnect(t.transport, hosts.slice(0, 1), new AbortController().signal);
    t.open.get(hosts[0]?.name ?? '')?.resolve(undefined as never);
    await early.connect(hosts[0] as (typeof hosts)[number], new AbortController().signal);
    await new Promise((r) => setImmediate(r));
    expect(t.calls).toEqual([hosts[0]?.name]);
  });
});
