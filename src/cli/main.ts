#!/usr/bin/env node
/**
 * The bin shim: the only place that touches process.exit. First Ctrl-C aborts the run signal
 * (in-flight steps stop, cleanup runs, exit 130); a second Ctrl-C exits at once.
 */
import { setMaxListeners } from 'node:events';
import { runCli } from './run-cli.js';

const controller = new AbortController();
// Every in-flight SSH channel of every host listens for the abort: dozens at once during uploads,
// which is by design, not the leak Node warns about past 10 listeners.
setMaxListeners(0, controller.signal);
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  process.stderr.write('\ninterrupted: stopping in-flight steps (Ctrl-C again to exit now)\n');
  controller.abort(new Error('interrupted by SIGINT'));
});
process.on('SIGTERM', () => controller.abort(new Error('terminated by SIGTERM')));

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = controller.signal.aborted && code !== 0 ? 130 : code;
