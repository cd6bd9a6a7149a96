/**
 * Runs one command on its own SSH channel: stdin from bytes or a stream (with backpressure, the
 * channel's window), stdout/stderr collected, exit status returned (never thrown). Timeouts and
 * aborts kill the remote process (signal KILL) and close the channel.
 */
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { Interrupted, RemoteCommandError, SshError } from '../../shared/errors.js';
import type { CommandResult } from './connection.js';
import type { Client } from './ssh2-lib.js';

/** One command to run. */
export interface ChannelCommand {
  readonly host: string;
  /** The full remote command line (already quoted). */
  readonly command: string;
  /** How the command is named in errors (scripts are long; "write /etc/x" reads better). */
  readonly display: string;
  readonly stdin?: Uint8Array | Readable;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Output beyond this per stream is dropped (a probe is not a file transfer). */
const MAX_OUTPUT = 32 * 1024 * 1024;

/** Opens a channel and runs the command to completion. */
export function runChannel(client: Client, c: ChannelCommand): Promise<CommandResult> {
  if (c.signal?.aborted) return Promise.reject(new Interrupted(`${c.host}: interrupted before: ${c.display}`));
  return new Promise((resolve, reject) => {
    client.exec(c.command, (err, ch) => {
      if (err) {
        reject(new SshError('E_SSH_CONNECT', c.host, `cannot open a channel for: ${c.display}: ${err.message}`, { cause: err }));
        return;
      }
      collect(ch, c).then(resolve, reject);
    });
  });
}

function collect(ch: ClientChannel, c: ChannelCommand): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const out = new Capped();
    const errOut = new Capped();
    let exit: number | undefined;
    let failure: Error | undefined;
    ch.on('data', (d: Buffer) => out.push(d));
    ch.stderr.on('data', (d: Buffer) => errOut.push(d));
    ch.on('exit', (code: number | null, signal?: string) => {
      exit = code ?? (signal ? 128 + signalNumber(signal) : 255);
    });
    const kill = (why: Error): void => {
      failure ??= why;
      try {
        ch.signal('KILL');
      } catch {
        // channel already gone
      }
      ch.close();
    };
    const onAbort = (): void => kill(new Interrupted(`${c.host}: interrupted: ${c.display}`));
    c.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => kill(new RemoteCommandError(c.host, c.display, 124, `timed out after ${c.timeoutMs / 1000} s; the remote process was killed`)),
      c.timeoutMs,
    );
    ch.on('close', () => {
      clearTimeout(timer);
      c.signal?.removeEventListener('abort', onAbort);
      if (c.stdin !== undefined && !(c.stdin instanceof Uint8Array)) {
        c.stdin.unpipe(ch);
        if (!c.stdin.readableEnded) c.stdin.destroy();
      }
      if (failure) return reject(failure);
      if (exit === undefined) {
        return reject(new SshError('E_SSH_CONNECT', c.host, `connection lost while running: ${c.display}`));
      }
      resolve({ exitCode: exit, stdout: out.text(), stderr: errOut.text() });
    });
    feed(ch, c, (e) => kill(e));
  });
}

function feed(ch: ClientChannel, c: ChannelCommand, fail: (e: Error) => void): void {
  if (c.stdin === undefined) {
    ch.end();
  } else if (c.stdin instanceof Uint8Array) {
    ch.end(Buffer.from(c.stdin.buffer, c.stdin.byteOffset, c.stdin.byteLength));
  } else {
    const src = c.stdin;
    src.once('error', (e) => fail(e));
    src.pipe(ch); // pipe() honours the channel's window: a 100 MB file is never held in memory
  }
}

class Capped {
  private readonly parts: Buffer[] = [];
  private size = 0;
  push(d: Buffer): void {
    if (this.size >= MAX_OUTPUT) return;
    this.parts.push(d);
    this.size += d.length;
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

const SIGNALS: Readonly<Record<string, number>> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, TERM: 15 };
function signalNumber(name: string): number {
  return SIGNALS[name.replace(/^SIG/, '')] ?? 0;
}
