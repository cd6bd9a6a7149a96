/**
 * A fast command whose exec confirmation, exit-status and close arrive in one read: ssh2 emits
 * 'exit' while the exec callback's promise is still resolving, before runChannel has attached its
 * listener; 'close' (which ssh2 emits once the stream ends, with the exit status as arguments)
 * must still give the command's status, not "connection lost". Seen in the real-Kubernetes e2e as
 * `rm -f /var/lib/kubesmith/pending-restart/...` failing on a live connection. The channel here is
 * a stand-in with ssh2's event order (no sshd can be made to batch packets on demand).
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runChannel } from '../../../src/deploy/ssh/run-channel.js';
import type { Client } from '../../../src/deploy/ssh/ssh2-lib.js';

/** A channel as ssh2 builds it: a readable stream for stdout, `stderr`, 'exit' then 'close' on end. */
function fakeChannel(): PassThrough & { stderr: PassThrough; signal: () => void } {
  const ch = new PassThrough() as PassThrough & { stderr: PassThrough; signal: () => void };
  ch.stderr = new PassThrough();
  ch.signal = () => undefined;
  return ch;
}

/** A client whose exec delivers everything of the command at once, as one batched read would. */
function batchingClient(exit: { code: number | null; signal?: string }): Client {
  const client = new EventEmitter() as unknown as Client;
  (client as unknown as { exec: (cmd: string, cb: (err: Error | undefined, ch: unknown) => void) => void }).exec = (_cmd, cb) => {
    const ch = fakeChannel();
    cb(undefined, ch);
    // Same tick as the exec confirmation: runChannel's listeners are not attached yet.
    ch.stderr.write('kubesmith-sid 4242\n');
    if (exit.code === null) ch.emit('exit', null, exit.signal);
    else ch.emit('exit', exit.code);
    ch.stderr.end();
    ch.end();
    ch.once('end', () => (exit.code === null ? ch.emit('close', null, exit.signal) : ch.emit('close', exit.code)));
  };
  return client;
}

const run = (client: Client) =>
  runChannel(client, { host: 'h1', command: 'rm -f /x', display: 'rm -f /x', timeoutMs: 5_000, killSession: async () => undefined });

describe('runChannel when exit-status arrives with the exec confirmation', () => {
  it('takes the status from close: 0 is success, not a lost connection', async () => {
    await expect(run(batchingClient({ code: 0 }))).resolves.toMatchObject({ exitCode: 0 });
  });

  it('keeps a failing status and a signal', async () => {
    await expect(run(batchingClient({ code: 3 }))).resolves.toMatchObject({ exitCode: 3 });
    await expect(run(batchingClient({ code: null, signal: 'SIGKILL' }))).resolves.toMatchObject({ exitCode: 137 });
  });
});
