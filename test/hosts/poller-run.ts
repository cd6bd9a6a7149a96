/**
 * One measured action under the /readyz poller (readyz-poller.ts), shared by the real-binary
 * rollout proofs: the poller on a node with the admin client pair apply left in the state, the
 * measured parts prioritized (measure-priority.ts), 2 s of polls before and after the action; the
 * priority is undone and the poller stopped even when the action throws.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { TestHost } from '../support/test-hosts.js';
import { prioritize } from './measure-priority.js';
import { startPoller, stopPoller, type Poll } from './readyz-poller.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The admin client pair in the state's admin kubeconfig (what an operator's kubectl holds now). */
export function adminPair(stateDir: string): { cert: string; key: string } {
  const kc = readFileSync(join(stateDir, 'admin.kubeconfig'), 'utf8');
  const field = (f: string): string => Buffer.from(new RegExp(`${f}: (\\S+)`).exec(kc)?.[1] ?? '', 'base64').toString('utf8');
  return { cert: field('client-certificate-data'), key: field('client-key-data') };
}

/** What a measured action returned and what the poller saw around it. */
export interface PolledRun<T> {
  readonly result: T;
  readonly polls: readonly Poll[];
  /** When the action started (epoch ms) and how long it took. */
  readonly t0: number;
  readonly ms: number;
  /** Load average (1 min) before; the priority's own description. */
  readonly load0: number;
  readonly said: string;
}

/** Runs `action` while `on` polls /readyz through its local proxy (port 6443), trusting `caFile` there. */
export async function underPoller<T>(hosts: readonly TestHost[], on: TestHost, opts: { caFile: string; stateDir: string }, action: () => Promise<T>): Promise<PolledRun<T>> {
  await startPoller(on, { port: 6443, caFile: opts.caFile, ...adminPair(opts.stateDir) });
  const priority = prioritize(hosts);
  let stopped = false;
  const stop = async (): Promise<readonly Poll[]> => {
    stopped = true;
    priority.undo();
    return stopPoller(on);
  };
  try {
    const load0 = loadavg()[0] ?? 0;
    await sleep(2000);
    const t0 = Date.now();
    const result = await action();
    const ms = Date.now() - t0;
    await sleep(2000);
    return { result, polls: await stop(), t0, ms, load0, said: priority.said };
  } finally {
    if (!stopped) await stop().catch(() => []);
  }
}
