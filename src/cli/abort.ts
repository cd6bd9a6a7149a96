/**
 * How a run is stopped from outside, and what the shell sees. A signal or a closed output aborts
 * the run's AbortSignal with an Interrupted reason carrying the exit code a death by that signal
 * shows (128 + its number), so `$?` means the same as for any Unix tool that stops on it.
 */
import type { KeySource } from '../pki/types.js';
import { Interrupted } from '../shared/errors.js';

/** Signals kubesmith stops on, with the exit code each gives. */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** Exit code when stdout or stderr was closed by its reader (`| head`): a SIGPIPE death. */
export const OUTPUT_CLOSED_EXIT = 141;

const HOW: Readonly<Record<StopSignal, string>> = { SIGINT: 'Ctrl-C (SIGINT)', SIGTERM: 'SIGTERM', SIGHUP: 'SIGHUP (terminal closed)' };

/** The reason a stop signal aborts a run with; it remembers the signal. */
class SignalStop extends Interrupted {
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${HOW[signal]}`, {
      exitCode: STOP_SIGNALS[signal],
      hint: 'nothing is saved after an interrupt, and local state is written all-or-nothing: it is as the last completed save left it; run the command again to finish',
    });
  }
}

/** The abort reason for a stop signal. */
export function stoppedBy(sig: StopSignal): Interrupted {
  return new SignalStop(sig);
}

/** The signal behind a stop, if a signal caused it. */
export function signalOf(reason: Interrupted | undefined): StopSignal | undefined {
  return reason instanceof SignalStop ? reason.signal : undefined;
}

/** Marks the reason of a closed output, which stops the run quietly (nobody is reading). */
class OutputClosed extends Interrupted {}

/**
 * The abort reason for a failed write to stdout or stderr. EPIPE (the reader went away) is quiet,
 * exit 141; any other write error (a full disk behind a redirect) is a failure worth saying.
 */
export function outputFailed(stream: 'stdout' | 'stderr', err: NodeJS.ErrnoException): Interrupted {
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
    return new OutputClosed(`${stream} was closed by its reader`, { exitCode: OUTPUT_CLOSED_EXIT, cause: err });
  }
  return new Interrupted(`cannot write to ${stream}: ${err.code ?? err.message}`, { exitCode: 1, cause: err });
}

/** The Interrupted reason of an aborted signal (a foreign reason becomes a Ctrl-C-like one). */
export function abortReason(signal: AbortSignal): Interrupted | undefined {
  if (!signal.aborted) return undefined;
  const r: unknown = signal.reason;
  return r instanceof Interrupted ? r : new Interrupted('interrupted', { cause: r });
}

/** True when the run stopped because nobody reads its output: say nothing more. */
export function isQuiet(reason: Interrupted): boolean {
  return reason instanceof OutputClosed;
}

/**
 * A KeySource that stops at once when `signal` aborts: a key still being generated (an rsa-4096
 * PKI takes seconds) is dropped, so the issue that needed it never completes and never saves.
 */
export function abortableKeys(keys: KeySource, signal: AbortSignal): KeySource {
  return {
    generate: (alg) => {
      const key = untilAborted(keys.generate(alg), signal);
      // Keys are generated in parallel and awaited one by one: once the first rejects, nobody
      // awaits the others, whose rejections would be "unhandled" (a crash with a stack in Node).
      key.catch(() => undefined);
      return key;
    },
  };
}

/**
 * `work`, or the abort reason as soon as `signal` aborts (`work` is left to finish unused). With
 * `stopsOnly`, a closed output does not count: the work may still complete, and keep its result.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, stopsOnly = false): Promise<T> {
  const counts = (): boolean => signal.aborted && !(stopsOnly && isQuiet(abortReason(signal) as Interrupted));
  if (counts()) {
    work.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => {
      if (counts()) reject(abortReason(signal));
    };
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
