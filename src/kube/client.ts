/**
 * A small typed Kubernetes API client over an injected transport: JSON in and out, 404 as
 * `undefined`, and retries with exponential backoff while the apiserver comes up (connection
 * refused, 5xx, 429), bounded by a deadline and an AbortSignal. Pure apart from the transport.
 */
import type { Clock } from '../shared/clock.js';
import { ApiError, Interrupted } from '../shared/errors.js';
import { isTransientNetworkError, isTransientStatus, networkError, responseError } from './api-errors.js';
import type { ApiRequest, ApiResponse, ApiTransport, KubeList } from './types.js';

/** Retry and cancellation settings. */
export interface KubeClientOptions {
  readonly transport: ApiTransport;
  readonly clock: Clock;
  /** How long one call keeps retrying transient failures. @default 120 000 ms */
  readonly retryForMs?: number;
  /** First backoff delay, doubled per attempt up to maxDelayMs. @default 250 ms */
  readonly initialDelayMs?: number;
  /** @default 5 000 ms */
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
  /** Injected for tests; the default is setTimeout that stops on abort. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told about each retry (for progress output). */
  readonly onRetry?: (info: { readonly attempt: number; readonly delayMs: number; readonly reason: string }) => void;
}

type Method = ApiRequest['method'];

/** Waits `ms`, or rejects when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Typed calls against one apiserver. Every method throws ApiError (or Interrupted) on failure. */
export class KubeClient {
  readonly identity: string;
  readonly endpoint: string;
  private readonly opts: KubeClientOptions;

  constructor(opts: KubeClientOptions) {
    this.opts = opts;
    this.identity = opts.transport.identity;
    this.endpoint = opts.transport.endpoint;
  }

  /** GET an object; undefined when it does not exist. */
  async get<T>(path: string): Promise<T | undefined> {
    const res = await this.send({ method: 'GET', path });
    if (res.status === 404) return undefined;
    return this.parse<T>({ method: 'GET', path }, res);
  }

  /** GET a collection's items (optionally filtered by a label selector). */
  async list<T>(path: string, labelSelector?: string): Promise<readonly T[]> {
    const q = labelSelector ? `${path.includes('?') ? '&' : '?'}labelSelector=${encodeURIComponent(labelSelector)}` : '';
    return (await this.call<KubeList<T>>('GET', `${path}${q}`)).items ?? [];
  }

  /** Any call that must succeed (2xx); returns the parsed body. */
  async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const req: ApiRequest = { method, path, ...(body === undefined ? {} : { body }) };
    return this.parse<T>(req, await this.send(req));
  }

  /** Like call, but hands back the `accept`ed error statuses (404, 409, 422) for the caller to decide. */
  async attempt(method: Method, path: string, body?: unknown, accept: readonly number[] = [404, 409, 422]): Promise<ApiResponse> {
    const req: ApiRequest = { method, path, ...(body === undefined ? {} : { body }) };
    const res = await this.send(req);
    if ((res.status >= 200 && res.status < 300) || accept.includes(res.status)) return res;
    throw responseError(req, res, this.endpoint, this.identity);
  }

  /** One GET without retries, any status returned as is (health endpoints such as /readyz answer 500 with text). */
  async probe(path: string): Promise<ApiResponse> {
    this.checkAborted({ method: 'GET', path });
    try {
      return await this.opts.transport.request({ method: 'GET', path, ...(this.opts.signal ? { signal: this.opts.signal } : {}) });
    } catch (err) {
      this.checkAborted({ method: 'GET', path });
      throw networkError(err, this.endpoint, this.identity, 1, 0);
    }
  }

  /**
   * One request without retries, any status returned as is: for calls whose refusal is an answer
   * the caller paces itself (an eviction a PodDisruptionBudget refuses with 429).
   */
  async once(method: Method, path: string, body?: unknown): Promise<ApiResponse> {
    const req: ApiRequest = { method, path, ...(body === undefined ? {} : { body }) };
    this.checkAborted(req);
    try {
      return await this.opts.transport.request({ ...req, ...(this.opts.signal ? { signal: this.opts.signal } : {}) });
    } catch (err) {
      this.checkAborted(req);
      throw networkError(err, this.endpoint, this.identity, 1, 0);
    }
  }

  /** DELETE; false when it was already gone. */
  async remove(path: string): Promise<boolean> {
    return (await this.attempt('DELETE', path, undefined, [404])).status !== 404;
  }

  private parse<T>(req: ApiRequest, res: ApiResponse): T {
    if (res.status < 200 || res.status >= 300) throw responseError(req, res, this.endpoint, this.identity);
    try {
      return JSON.parse(res.body) as T;
    } catch (err) {
      throw new ApiError(`${this.endpoint}: ${req.method} ${req.path}: response is not JSON`, res.status, { cause: err });
    }
  }

  /** One request, retried on transient failures until the deadline. */
  private async send(req: ApiRequest): Promise<ApiResponse> {
    const { clock, signal } = this.opts;
    const sleep = this.opts.sleep ?? abortableSleep;
    const start = clock.now().getTime();
    const deadline = start + (this.opts.retryForMs ?? 120_000);
    let delay = this.opts.initialDelayMs ?? 250;
    for (let attempt = 1; ; attempt += 1) {
      this.checkAborted(req);
      let outcome: { res: ApiResponse } | { err: unknown };
      try {
        outcome = { res: await this.opts.transport.request({ ...req, ...(signal ? { signal } : {}) }) };
      } catch (err) {
        this.checkAborted(req);
        outcome = { err };
      }
      const transient = 'res' in outcome ? isTransientStatus(outcome.res.status) : isTransientNetworkError(outcome.err);
      const now = clock.now().getTime();
      const retryAfter = 'res' in outcome ? Number(outcome.res.headers['retry-after'] ?? 0) * 1000 : 0;
      const wait = Math.max(delay, Number.isFinite(retryAfter) ? retryAfter : 0);
      if (!transient || now + wait > deadline) {
        if ('res' in outcome) return outcome.res;
        throw networkError(outcome.err, this.endpoint, this.identity, attempt, now - start);
      }
      const reason = 'res' in outcome ? `HTTP ${outcome.res.status}` : String((outcome.err as Error).message ?? outcome.err);
      this.opts.onRetry?.({ attempt, delayMs: wait, reason });
      try {
        await sleep(wait, signal);
      } catch {
        this.checkAborted(req);
      }
      delay = Math.min(delay * 2, this.opts.maxDelayMs ?? 5_000);
    }
  }

  private checkAborted(req: ApiRequest): void {
    if (this.opts.signal?.aborted) {
      throw new Interrupted(`${this.endpoint}: interrupted during ${req.method} ${req.path}`, { cause: this.opts.signal.reason });
    }
  }
}
