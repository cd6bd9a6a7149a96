/**
 * Runs one command on its own SSH channel: stdin from bytes or a stream (with backpressure, the
 * channel's window), stdout/stderr collected, exit status returned (never thrown).
 *
 * Timeouts and aborts must really stop the remote process: OpenSSH refuses the SSH "signal"
 * request for root sessions ("session signalling requires privilege separation") and keeps a
 * channel open while its process lives. So the login shell first reports its PID on stderr (sshd
 * made it a session leader) and then execs the command; to kill, `killSession` runs
 * `pkill -KILL -s <sid>` on another channel, which also reaches children started through sudo.
 */
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { Interrupted, RemoteCommandError, SshError } from '../../shared/errors.js';
import { channelOpenError, execChannel } from './channel-open.js';
import type { CommandResult } from './connection.js';
import type { Client } from './ssh2-lib.js';

/** One command to run. */
export interface ChannelCommand {
  readonly host: string;
  /** The SSH login user (named in the hint when sessions do not open). @default root */
  readonly user?: string;
  /** The full remote command line (already quoted). */
  readonly command: string;
  /** How the command is named in errors (scripts are long; "write /etc/x" reads better). */
  readonly display: string;
  readonly stdin?: Uint8Array | Readable;
  /** Where stdout goes instead of the result (a file download): piped, so its backpressure holds the channel. Not ended. */
  readonly stdout?: Writable;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Kills every process of the remote session `sid` (see the file comment). */
  readonly killSession: (sid: number) => Promise<void>;
}

const SID_HEADER = /(^|\n)kubesmith-sid (\d+)\n/;

/** Output beyond this per stream is dropped (a probe is not a file transfer). */
const MAX_OUTPUT = 32 * 1024 * 1024;

/** Opens a channel and runs the command to completion. */
export function runChannel(client: Client, c: ChannelCommand): Promise<CommandResult> {
  if (c.signal?.aborted) return Promise.reject(new Interrupted(`${c.host}: interrupted before: ${c.display}`));
  return execChannel(client, `echo "kubesmith-sid $$" >&2; exec ${c.command}`, c.signal).then(
    (ch) => collect(ch, c),
    (err: Error) => Promise.reject(channelOpenError(c.host, c.user ?? 'root', c.display, err)),
  );
}

function collect(ch: ClientChannel, c: ChannelCommand): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const out = new Capped();
    const errOut = new Capped();
    let exit: number | undefined;
    let failure: Error | undefined;
    let head = '';
    let sid: number | undefined;
    let killWhenKnown = false;
    if (c.stdout) ch.pipe(c.stdout, { end: false });
    else ch.on('data', (d: Buffer) => out.push(d));
    ch.stderr.on('data', (d: Buffer) => {
      if (sid !== undefined) return errOut.push(d);
      head += d.toString('latin1');
      const m = SID_HEADER.exec(head);
      if (m) {
        // Anything a shell startup file printed before the header stays in stderr.
        sid = Number(m[2]);
        errOut.push(Buffer.from(head.slice(0, m.index + m[1]!.length) + head.slice(m.index + m[0].length), 'latin1'));
        if (killWhenKnown) void c.killSession(sid).catch(() => undefined);
      } else if (head.length > 4096) {
        errOut.push(Buffer.from(head, 'latin1')); // no header: not a POSIX login shell
        sid = -1;
      }
    });
    ch.on('exit', (code: number | null, signal?: string) => {
      exit = code ?? (signal ? 128 + signalNumber(signal) : 255);
    });
    const kill = (why: Error): void => {
      failure ??= why;
      if (sid !== undefined && sid > 0) void c.killSession(sid).catch(() => undefined);
      else killWhenKnown = true;
      try {
        ch.signal('KILL'); // honoured by some servers for non-root users; harmless otherwise
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
    // ssh2 repeats the exit status as close's arguments. They matter: a fast command's exec
    // confirmation, exit-status and close can arrive in one read, and 'exit' is emitted before
    // this function (called after the exec promise resolves) has attached its listener; 'close'
    // waits for the stream to end, so it is never missed. Seen on a busy operator machine as
    // "connection lost while running: rm -f ..." on a live connection.
    ch.on('close', (code?: number | null, signal?: string) => {
      if (exit === undefined && code !== undefined && (code !== null || signal)) exit = code ?? 128 + signalNumber(signal as string);
      clearTimeout(timer);
      if (sid === undefined) errOut.push(Buffer.from(head, 'latin1'));
      c.signal?.removeEventListener('abort', onAbort);
      if (c.stdout) ch.unpipe(c.stdout);
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
    // A failing source ends stdin instead of killing: the write script then sees short content,
    // fails its sha256 check and removes its temp file itself.
    feed(ch, c, (e) => {
      failure ??= e;
      ch.end();
    });
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
