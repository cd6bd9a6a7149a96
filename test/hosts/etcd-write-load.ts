/**
 * A continuous etcd write load for the rolling-restart proof (#12 part 2): one put every 50 ms
 * through etcd's v3 HTTP/JSON gateway (`POST /v3/kv/put`), over HTTPS with a client certificate,
 * on long-lived keep-alive connections to all three members. Each write has a 1 s budget, like
 * a client's command timeout; an endpoint that refuses or errs costs a retry on the next one,
 * and one silent for 300 ms (a member restarting) gets the same put sent to the next one as
 * well, within that budget, as a client balancing across endpoints does; a write not
 * acknowledged within 1 s is refused. Puts of the same key and value are idempotent, so a
 * second attempt is safe. Afterwards every acknowledged write is read back.
 */
import { Agent, request } from 'node:https';

/** Where and how to write. */
export interface WriteLoadOptions {
  readonly endpoints: readonly string[];
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** @default 50 */
  readonly intervalMs?: number;
  /** @default 1000 */
  readonly timeoutMs?: number;
  /**
   * How long one endpoint may stay silent before the same put also goes to the next endpoint
   * (a hedged request; the first attempt is not dropped). @default 300
   */
  readonly attemptTimeoutMs?: number;
  readonly prefix: string;
}

interface WriteRecord {
  readonly seq: number;
  readonly scheduledAt: number;
  startedAt: number;
  ackedAt?: number;
  attempts: number;
  readonly errors: string[];
}

/** What the load saw. */
export interface WriteLoadResult {
  readonly writes: number;
  readonly acknowledged: number;
  /** Writes not acknowledged within their budget. */
  readonly refused: number;
  readonly refusedErrors: readonly string[];
  /** Longest time between two consecutive acknowledgements, ms. */
  readonly maxPauseMs: number;
  /** When that pause ended (epoch ms). */
  readonly maxPauseEndedAt: number;
  /** Attempts that failed and were retried on another endpoint within the write's budget. */
  readonly retriedAttempts: number;
  readonly retryReasons: ReadonlyMap<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxLatencyMs: number;
  /** Longest delay of a write's start behind its 50 ms schedule (the client's own event loop). */
  readonly maxScheduleLagMs: number;
  readonly acked: readonly { readonly seq: number; readonly value: string }[];
  /** Every acknowledgement's time (epoch ms), ascending: for pauses within a window (maxPauseWithin). */
  readonly ackTimes: readonly number[];
  /** Writes that were refused, retried or slower than 200 ms: start (epoch ms), latency, what happened. */
  readonly troubled: readonly { readonly seq: number; readonly startedAt: number; readonly ms: number | undefined; readonly errors: readonly string[] }[];
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Runs puts on a fixed cadence until stop(). */
export class EtcdWriteLoad {
  private readonly agents: Agent[];
  private readonly records: WriteRecord[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private preferred = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: WriteLoadOptions) {
    this.agents = opts.endpoints.map(() => new Agent({ keepAlive: true, maxSockets: 16, ca: opts.ca, cert: opts.cert, key: opts.key }));
  }

  /** Starts writing. */
  start(): void {
    const interval = this.opts.intervalMs ?? 50;
    const t0 = Date.now();
    this.loop = (async () => {
      for (let seq = 0; !this.stopped; seq++) {
        const due = t0 + seq * interval;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (this.stopped) break;
        const rec: WriteRecord = { seq, scheduledAt: due, startedAt: Date.now(), attempts: 0, errors: [] };
        this.records.push(rec);
        const p = this.write(rec).finally(() => this.inflight.delete(p));
        this.inflight.add(p);
      }
    })();
  }

  /** Stops, waits for the writes in flight, and summarizes. */
  async stop(): Promise<WriteLoadResult> {
    this.stopped = true;
    await this.loop;
    await Promise.all([...this.inflight]);
    for (const a of this.agents) a.destroy();
    return this.summary();
  }

  /** Every key under the prefix, read through one endpoint (seq -> value). */
  async readBack(endpoint: string): Promise<Map<number, string>> {
    const p = this.opts.prefix;
    const end = p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);
    const agent = new Agent({ ca: this.opts.ca, cert: this.opts.cert, key: this.opts.key });
    try {
      const r = await post(endpoint, '/v3/kv/range', { key: b64(p), range_end: b64(end) }, agent, AbortSignal.timeout(10_000));
      if (r.status !== 200) throw new Error(`range ${endpoint}: HTTP ${r.status} ${r.body}`);
      const kvs = (JSON.parse(r.body) as { kvs?: { key: string; value: string }[] }).kvs ?? [];
      return new Map(kvs.map((kv) => [Number(Buffer.from(kv.key, 'base64').toString().slice(p.length)), Buffer.from(kv.value, 'base64').toString()]));
    } finally {
      agent.destroy();
    }
  }

  /**
   * One write: the preferred endpoint first; when it has not answered within the hedge delay (or
   * failed), the same put also goes to the next endpoint, without dropping the first attempt (its
   * keep-alive connection survives). The first acknowledgement wins; at the 1 s budget every
   * attempt still open is aborted and the write counts as refused.
   */
  private write(rec: WriteRecord): Promise<void> {
    const budget = this.opts.timeoutMs ?? 1000;
    const hedgeMs = this.opts.attemptTimeoutMs ?? 300;
    const n = this.agents.length;
    const body = { key: b64(`${this.opts.prefix}${String(rec.seq).padStart(8, '0')}`), value: b64(`v${rec.seq}`) };
    const abort = new AbortController();
    return new Promise<void>((resolve) => {
      let next = this.preferred;
      let open = 0;
      let done = false;
      const timers = new Set<NodeJS.Timeout>();
      const later = (fn: () => void, ms: number): NodeJS.Timeout => {
        const t = setTimeout(() => {
          timers.delete(t);
          fn();
        }, ms);
        timers.add(t);
        return t;
      };
      const pending = new Map<number, string>();
      const finish = (): void => {
        if (done) return;
        // A write refused at its budget says which attempts were still waiting, and since when.
        if (rec.ackedAt === undefined) for (const [at, endpoint] of pending) rec.errors.push(`${endpoint}: no answer after ${Date.now() - at} ms`);
        done = true;
        for (const t of timers) clearTimeout(t);
        abort.abort();
        resolve();
      };
      const launch = (): void => {
        if (done || Date.now() - rec.startedAt >= budget) return;
        const i = next % n;
        next += 1;
        rec.attempts += 1;
        open += 1;
        const endpoint = this.opts.endpoints[i] ?? '';
        const started = Date.now();
        let attemptKey = started;
        while (pending.has(attemptKey)) attemptKey += 0.001;
        pending.set(attemptKey, endpoint);
        let hedged = false;
        const hedge = later(() => {
          hedged = true;
          launch();
        }, hedgeMs);
        post(endpoint, '/v3/kv/put', body, this.agents[i] as Agent, abort.signal)
          .then((r) => {
            if (r.status === 200 && r.body.includes('"header"')) {
              if (rec.ackedAt === undefined) rec.ackedAt = Date.now();
              this.preferred = i;
              finish();
              return;
            }
            rec.errors.push(`${endpoint}: HTTP ${r.status} ${r.body.slice(0, 120)} after ${Date.now() - started} ms`);
          })
          .catch((err: unknown) => {
            if (!done) rec.errors.push(`${endpoint}: ${(err as Error).message} after ${Date.now() - started} ms`);
          })
          .finally(() => {
            pending.delete(attemptKey);
            open -= 1;
            // A failed attempt moves on at once (after 20 ms) unless its hedge already did.
            if (!done && !hedged) {
              clearTimeout(hedge);
              timers.delete(hedge);
              later(launch, 20);
            }
            if (!done && open === 0 && Date.now() - rec.startedAt >= budget) finish();
          });
      };
      later(finish, budget);
      launch();
    });
  }

  private summary(): WriteLoadResult {
    const acked = this.records.filter((r) => r.ackedAt !== undefined);
    const times = acked.map((r) => r.ackedAt as number).sort((a, b) => a - b);
    let maxPauseMs = 0;
    let maxPauseEndedAt = 0;
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      if (gap > maxPauseMs) [maxPauseMs, maxPauseEndedAt] = [gap, times[i] as number];
    }
    const lat = acked.map((r) => (r.ackedAt as number) - r.startedAt).sort((a, b) => a - b);
    const pct = (q: number): number => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0;
    const reasons = new Map<string, number>();
    for (const r of acked) for (const e of r.errors) {
      const kind = e.replace(/^https:\/\/[\d.]+:\d+: /, '').replace(/\d+/g, 'N').slice(0, 80);
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    }
    const refused = this.records.filter((r) => r.ackedAt === undefined);
    return {
      writes: this.records.length,
      acknowledged: acked.length,
      refused: refused.length,
      refusedErrors: refused.slice(0, 5).map((r) => `#${r.seq}: ${r.errors.join(' | ')}`),
      maxPauseMs,
      maxPauseEndedAt,
      ackTimes: times,
      retriedAttempts: acked.reduce((n, r) => n + r.attempts - 1, 0),
      retryReasons: reasons,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      maxLatencyMs: lat.at(-1) ?? 0,
      maxScheduleLagMs: Math.max(0, ...this.records.map((r) => r.startedAt - r.scheduledAt)),
      acked: acked.map((r) => ({ seq: r.seq, value: `v${r.seq}` })),
      troubled: this.records
        .filter((r) => r.ackedAt === undefined || r.errors.length > 0 || (r.ackedAt ?? 0) - r.startedAt > 200)
        .map((r) => ({ seq: r.seq, startedAt: r.startedAt, ms: r.ackedAt === undefined ? undefined : r.ackedAt - r.startedAt, errors: r.errors })),
    };
  }
}

function post(endpoint: string, path: string, body: unknown, agent: Agent, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, endpoint);
    const data = JSON.stringify(body);
    const req = request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, signal },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * The longest pause between acknowledgements that overlaps [from, to] (epoch ms): the rollout's
 * own window, apart from stalls the test machine causes elsewhere in the run.
 */
export function maxPauseWithin(r: WriteLoadResult, from: number, to: number): { ms: number; endedAt: number } {
  let best = { ms: 0, endedAt: 0 };
  for (let i = 1; i < r.ackTimes.length; i++) {
    const [a, b] = [r.ackTimes[i - 1] as number, r.ackTimes[i] as number];
    if (b >= from && a <= to && b - a > best.ms) best = { ms: b - a, endedAt: b };
  }
  return best;
}

/**
 * Each member's down intervals (journalDowntime: stop to "ready to serve", epoch ms) with the
 * writes acknowledged inside it. A write load proves a rollout only if it ran while members were
 * down; a count of all writes did not say that, and fell with the apply's length on a faster
 * machine (161 writes in a 9 s apply, under a threshold of 200 set when applies took longer).
 * Intervals shorter than `minMs` (five write periods) are left out: a member of a small cluster
 * restarted in 90 ms on a fast machine, between two writes of the 50 ms cadence.
 */
export function acksWhileDown(r: WriteLoadResult, downtime: ReadonlyMap<string, readonly (readonly [number, number])[]>, minMs = 250): readonly string[] {
  return [...downtime].flatMap(([member, intervals]) =>
    intervals.filter(([from, to]) => to - from >= minMs).map(([from, to]) => `${member} ${r.ackTimes.filter((t) => t >= from && t <= to).length}`),
  );
}
