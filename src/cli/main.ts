#!/usr/bin/env node
/**
 * The bin shim: the only place that touches process.exit, signals and the real stdio streams.
 * SIGINT, SIGTERM and SIGHUP abort the run signal: apply stops its in-flight steps and cleans up,
 * every other command stops at once. The process then ends by that same signal, so the shell
 * shows 130, 143 or 129 and a script running kubesmith stops too, as for any Unix tool; a second
 * signal ends it at once. A closed stdout or stderr (`| head`) stops the run quietly.
 */
import { setMaxListeners } from 'node:events';
import { abortReason, outputFailed, signalOf, STOP_SIGNALS, stoppedBy, type StopSignal } from './abort.js';
import { runCli } from './run-cli.js';

const controller = new AbortController();
// Every in-flight SSH channel of every host listens for the abort: dozens at once during uploads,
// which is by design, not the leak Node warns about past 10 listeners.
setMaxListeners(0, controller.signal);

/**
 * Ends the process by `sig` with its default action. process.exit alone is not enough: Node's exit
 * first drains the libuv thread pool, which can hold a whole PKI's queued rsa-4096 key generations
 * (measured: 90 s), and a process that ends by the signal tells its parent it was interrupted.
 */
function endBy(sig: StopSignal): never {
  process.removeAllListeners(sig); // Node restores the default action once no listener is left
  process.kill(process.pid, sig);
  process.exit(STOP_SIGNALS[sig]); // only if the signal was somehow not fatal
}

for (const sig of Object.keys(STOP_SIGNALS) as StopSignal[]) {
  process.on(sig, () => {
    if (controller.signal.aborted) endBy(sig);
    const reason = stoppedBy(sig);
    process.stderr.write(`\n${reason.message}: stopping (${sig === 'SIGINT' ? 'Ctrl-C' : 'the same signal'} again ends it at once)\n`);
    controller.abort(reason);
  });
}

// Work a stopped command left behind may still reject with the stop (a key generation dropped by
// the abort that nobody awaits any more): expected, not a crash. Anything else is a bug: exit 70.
process.on('unhandledRejection', (reason) => {
  if (controller.signal.aborted && reason === controller.signal.reason) return;
  process.stderr.write(`error: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}\nthis is a bug in kubesmith; please report it\n`);
  process.exit(70);
});

// Without a listener an EPIPE is an uncaught exception: a stack trace and exit 1 for `| head -1`.
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (!controller.signal.aborted) controller.abort(outputFailed(name, err));
  });
}

// No top-level await: the Node single executable of the release build runs CommonJS only
// (Node 20's SEA), and top-level await has no CommonJS form (scripts/dist/sea.mjs). What a
// top-level await gave for free is kept: a process whose event loop ran dry before the command
// finished is a bug (Node said "unsettled top-level await", exit 13), never a silent exit 0.
let finished = false;
process.on('exit', () => {
  if (finished || process.exitCode !== undefined) return;
  process.stderr.write('error: kubesmith stopped before its command finished (nothing left to wait for)\nthis is a bug in kubesmith; please report it\n');
  process.exitCode = 70;
});
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
}).then((code) => {
  finished = true;
  // After a stop, work the command left behind (a key still generating in the thread pool, a timer)
  // must not run on: nothing may complete, let alone save, after the run was stopped. Every save is
  // synchronous, so none is half-done here; stdout/stderr writes are synchronous on Linux for files,
  // pipes and terminals, so ending now loses no output.
  const sig = signalOf(abortReason(controller.signal));
  if (sig !== undefined) endBy(sig);
  if (controller.signal.aborted) process.exit(code);
  process.exitCode = code;
});
