/**
 * The SSH side of `pki check --remote`: one connection per host (host key verified against
 * known_hosts, as apply and status do), one probe command on it (src/pki/remote/probe-script.ts),
 * closed again. At most `concurrency` hosts at once (checkConcurrency in commands/pki-check-remote.ts).
 * A host that cannot be reached or whose probe fails is a value, never a throw, so one dead host
 * never hides the others.
 */
import type { HostReader } from '../deploy/ssh/connection.js';
import { readOnlyView } from '../deploy/ssh/host-reader.js';
import { KnownHostsFiles } from '../deploy/ssh/known-hosts-files.js';
import { Ssh2Connection } from '../deploy/ssh/ssh2-connection.js';
import type { InventoryHost } from '../inventory/types.js';
import { parseProbe, probeArgv, TLS_TIMEOUT_SECONDS } from '../pki/remote/probe-script.js';
import type { HostTargets } from '../pki/remote/targets.js';
import type { HostObservation } from '../pki/remote/types.js';
import { KubesmithError } from '../shared/errors.js';

/** An opened host and how to let it go. */
export interface OpenedReader {
  readonly reader: HostReader;
  close(): Promise<void>;
}

/** Opens one host for reading; tests and the bench pass fakes. */
export type ReaderOpener = (host: InventoryHost, env: NodeJS.ProcessEnv, signal: AbortSignal) => Promise<OpenedReader>;

/** The production opener of one check: one ssh2 connection per host, one channel, read-only view; known_hosts read once for all hosts. */
export function sshReaderOpener(knownHosts = new KnownHostsFiles()): ReaderOpener {
  return async (host, env, signal) => {
    const conn = await Ssh2Connection.connect(host, { env, signal, maxChannels: 1, knownHosts });
    return { reader: readOnlyView(conn), close: () => conn.close() };
  };
}

/** What one host answered, or why it did not. */
export type ProbeOutcome = { readonly host: string; readonly observation: HostObservation } | { readonly host: string; readonly error: string };

/** An error as one line plus its hint, for a report row. */
export function errorLine(err: unknown): string {
  if (err instanceof KubesmithError) return `${err.message.split('\n')[0]}${err.hint ? ` (${err.hint})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

// Four handshakes at most, each bounded by TLS_TIMEOUT_SECONDS, plus the reads: ample.
const PROBE_TIMEOUT_MS = (4 * TLS_TIMEOUT_SECONDS + 30) * 1000;

/** Where one host's time went (shown by `pki check --remote --debug`). */
export interface ProbeTiming {
  readonly connectMs: number;
  readonly probeMs: number;
  readonly closeMs: number;
}

async function probeOne(t: HostTargets, host: InventoryHost, open: ReaderOpener, env: NodeJS.ProcessEnv, signal: AbortSignal, timings: Map<string, ProbeTiming>): Promise<ProbeOutcome> {
  const t0 = performance.now();
  let opened: OpenedReader;
  try {
    opened = await open(host, env, signal);
  } catch (err) {
    return { host: t.host, error: `ssh: ${errorLine(err)}` };
  }
  const t1 = performance.now();
  let t2 = t1;
  try {
    const out = await probeWithReader(t, opened.reader, signal);
    t2 = performance.now();
    return out;
  } finally {
    await opened.close().catch(() => undefined);
    timings.set(t.host, { connectMs: t1 - t0, probeMs: t2 - t1, closeMs: performance.now() - t2 });
  }
}

/** Runs the probe on a reader that is already open (status reuses its etcd connections). */
export async function probeWithReader(t: HostTargets, reader: HostReader, signal?: AbortSignal): Promise<ProbeOutcome> {
  try {
    const r = await reader.probe(probeArgv(t.request), { timeoutMs: PROBE_TIMEOUT_MS, ...(signal ? { signal } : {}) });
    if (r.exitCode !== 0) return { host: t.host, error: `certificate probe exited ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
    return { host: t.host, observation: parseProbe(r.stdout, t.request) };
  } catch (err) {
    return { host: t.host, error: `certificate probe: ${errorLine(err)}` };
  }
}

/** Probes every target, `concurrency` at a time; outcomes in target order. */
export async function probeHosts(
  targets: readonly HostTargets[],
  hosts: ReadonlyMap<string, InventoryHost>,
  opts: { readonly open: ReaderOpener; readonly concurrency: number; readonly env: NodeJS.ProcessEnv; readonly signal: AbortSignal; readonly timings?: Map<string, ProbeTiming> },
): Promise<ProbeOutcome[]> {
  const timings = opts.timings ?? new Map<string, ProbeTiming>();
  const out: ProbeOutcome[] = new Array(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i] as HostTargets;
      const host = hosts.get(t.host);
      if (opts.signal.aborted) out[i] = { host: t.host, error: 'stopped before this host was asked' };
      else out[i] = host ? await probeOne(t, host, opts.open, opts.env, opts.signal, timings) : { host: t.host, error: 'not in the inventory' };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, targets.length)) }, worker));
  return out;
}
