/**
 * Two views of when each etcd member was down during a rollout:
 * - journalDowntime(): from systemd's "Stopping etcd.service" to etcd's own "ready to serve client
 *   requests" log line (ms precision, journal timestamps; test hosts share the machine's clock).
 *   It costs nothing while the rollout runs, so it does not disturb what it measures.
 * - the sampler: every ~100 ms on each host `systemctl is-active etcd` and a TCP connect to the
 *   member's client port (bash's /dev/tcp, no process per probe). It runs on the host as a
 *   transient systemd unit (one ssh round trip to start, one to stop). An earlier version ran curl
 *   with a client certificate against /livez ten times a second on each host: about a core of
 *   TLS handshakes on this 2-core machine, which slowed the etcd members it was watching.
 * maxDown() then tells how many members were down at the same moment.
 */
import type { TestHost } from '../support/test-hosts.js';

const UNIT = 'ks-etcd-sampler';
const FILE = '/var/lib/ks-etcd-samples';

/** One sample: epoch ms, is-active state, "200" when the client port accepts a connection (else "000"). */
export interface Sample {
  readonly at: number;
  readonly state: string;
  readonly livez: string;
  /** 0 the port accepted, 1 it did not. */
  readonly curl: number;
}

/** Starts the sampler on `host` (its etcd client URL at `ip`). */
export async function startSampler(host: TestHost, ip: string): Promise<void> {
  const loop = [
    'while :; do',
    '  s=$(systemctl is-active etcd)',
    `  if (exec 3<>/dev/tcp/${ip}/2379) 2>/dev/null; then c=200; e=0; else c=000; e=1; fi`,
    '  echo "$(date +%s%3N) $s $c $e"',
    '  sleep 0.1',
    `done > ${FILE}`,
  ].join('\n');
  const r = await host.ssh(`rm -f ${FILE}; systemctl reset-failed ${UNIT} 2>/dev/null; systemd-run --quiet --unit=${UNIT} /bin/bash -c '${loop.replace(/'/g, `'\\''`)}'`);
  if (r.code !== 0) throw new Error(`${host.name}: start sampler: ${r.stderr}`);
}

/**
 * The intervals (epoch ms) in which etcd on `host` was down since `sinceMs`: from "Stopping
 * etcd.service" to the next "ready to serve client requests" of etcd (open at the end when none).
 */
export async function journalDowntime(host: TestHost, sinceMs: number): Promise<readonly (readonly [number, number])[]> {
  const r = await host.ssh(`journalctl -u etcd -o short-unix --no-pager --since @${Math.floor(sinceMs / 1000)} | grep -E 'systemd\\[1\\]: Stopping etcd|ready to serve client requests' || true`);
  const out: (readonly [number, number])[] = [];
  let from: number | undefined;
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const at = Math.round(Number(line.split(' ')[0]) * 1000);
    if (/Stopping etcd/.test(line)) from ??= at;
    else if (from !== undefined) {
      out.push([from, at]);
      from = undefined;
    }
  }
  if (from !== undefined) out.push([from, Number.MAX_SAFE_INTEGER]);
  return out;
}

/** The most hosts inside one of their intervals at the same moment. */
export function maxOverlap(byHost: ReadonlyMap<string, readonly (readonly [number, number])[]>): number {
  const edges = [...byHost.values()].flatMap((iv) => iv.flatMap(([a, b]) => [[a, 1] as const, [b, -1] as const])).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d));
  return max;
}

/** Stops the sampler and returns its samples. */
export async function stopSampler(host: TestHost): Promise<readonly Sample[]> {
  await host.ssh(`systemctl stop ${UNIT}`);
  return host
    .readFile(FILE)
    .split('\n')
    .flatMap((l) => {
      const [at, state, livez, curl] = l.trim().split(' ');
      return at && state ? [{ at: Number(at), state, livez: livez ?? '000', curl: Number(curl ?? 0) }] : [];
    });
}

/** Down: systemd does not report the unit active, or the client port refuses connections. */
export const isDown = (s: Sample): boolean => s.state !== 'active' || s.livez !== '200';

/**
 * The most members down at one moment: a sweep over every sample in time order, each host in the
 * state of its latest sample, counted down only when its next sample is down too (surely down
 * between the two). A host's latest sample is up to ~100 ms old: a member ready 10 ms before the
 * rollout stopped the next one (the gate held; the journals, ms-precise, show one down at a time)
 * still looked down in its last sample and counted as two down. journalDowntime is the exact view.
 * Also each host's time spent down (sum of its down intervals).
 */
export function maxDown(byHost: ReadonlyMap<string, readonly Sample[]>): { max: number; at: number; downMs: Map<string, number>; samples: number } {
  const surely = new Set<Sample>();
  for (const samples of byHost.values()) samples.forEach((s, i) => isDown(s) && isDown(samples[i + 1] ?? s) && surely.add(s));
  const events = [...byHost].flatMap(([host, samples]) => samples.map((s) => ({ host, s }))).sort((a, b) => a.s.at - b.s.at);
  const current = new Map<string, Sample>();
  const downMs = new Map<string, number>();
  let max = 0;
  let at = 0;
  for (const { host, s } of events) {
    const prev = current.get(host);
    if (prev && isDown(prev)) downMs.set(host, (downMs.get(host) ?? 0) + s.at - prev.at);
    current.set(host, s);
    const down = [...current.values()].filter((x) => surely.has(x)).length;
    if (down > max) [max, at] = [down, s.at];
  }
  return { max, at, downMs, samples: events.length };
}
