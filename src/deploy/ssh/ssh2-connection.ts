/**
 * HostConnection over ssh2: one SSH connection per host (optionally through a bastion), reused
 * for every step, with several channels at once. Commands are argv, POSIX-quoted, run through
 * `sudo -n --` for non-root users; writes are atomic (write-script.ts) and streamed.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { InventoryHost } from '../../inventory/types.js';
import { RemoteCommandError } from '../../shared/errors.js';
import { ChannelLimit } from './channel-limit.js';
import { execChannel } from './channel-open.js';
import type { CommandResult, HostConnection, RemoteFileStat, RunOptions, StatOptions, WriteMeta } from './connection.js';
import type { KnownHostsFiles } from './known-hosts-files.js';
import { openClient } from './open-client.js';
import { privilegeHint } from './privilege-hint.js';
import { commandLine, quoteArgv } from './quote.js';
import { runChannel } from './run-channel.js';
import type { Client } from './ssh2-lib.js';
import { parseStat, statArgv } from './stat-script.js';
import { SHA_MISMATCH_EXIT, writeArgv } from './write-script.js';
import { DIGEST_CACHE } from './digest-cache.js';

/** Options of Ssh2Connection.connect(). */
export interface ConnectOptions {
  readonly signal?: AbortSignal;
  /** Environment to read SSH_AUTH_SOCK from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Channels open at once (sshd's MaxSessions defaults to 10; one is kept for the lock). @default 8 */
  readonly maxChannels?: number;
  /** SSH keepalive interval; the connection counts as dead after 3 unanswered. @default 10 s */
  readonly keepaliveIntervalMs?: number;
  /** The run's known_hosts files, read once for all its connections. @default read for this connection */
  readonly knownHosts?: KnownHostsFiles;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** download(): the file on stdout, its sha256sum line on stderr; exit status is cat's (no digest: the caller refuses). */
const DOWNLOAD_SH = 'sha256sum -- "$1" >&2 & cat -- "$1"; rc=$?; wait; exit $rc';
/** Uploads get longer: a 150 MB kubelet over a slow link. */
const WRITE_TIMEOUT_MS = 30 * 60_000;

/** A live SSH connection to one inventory host. */
export class Ssh2Connection implements HostConnection {
  readonly name: string;
  private readonly limit: ChannelLimit;
  private closed = false;
  private lost = false;

  private constructor(
    readonly host: InventoryHost,
    private readonly client: Client,
    private readonly bastion: Client | undefined,
    maxChannels: number,
  ) {
    this.name = host.name;
    this.limit = new ChannelLimit(maxChannels);
    client.once('close', () => (this.lost = true));
  }

  /** False once the SSH connection closed (keepalive gave up, the host went away, or close()). */
  get alive(): boolean {
    return !this.lost && !this.closed;
  }

  /** Connects once (no retry; see connectWithRetry) and verifies the host key. */
  static async connect(host: InventoryHost, opts: ConnectOptions = {}): Promise<Ssh2Connection> {
    const { client, bastion } = await openClient(host, opts.env ?? process.env, opts.signal, opts.keepaliveIntervalMs, opts.knownHosts);
    return new Ssh2Connection(host, client, bastion, opts.maxChannels ?? 8);
  }

  /** True when privileged commands go through sudo (non-root user with ssh.sudo set). */
  get usesSudo(): boolean {
    return this.host.ssh.sudo && this.host.ssh.user !== 'root';
  }

  probe(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    return this.exec(argv, opts);
  }

  exec(argv: readonly string[], opts: RunOptions & { readonly stdin?: Uint8Array } = {}): Promise<CommandResult> {
    return this.run(argv, opts, quoteArgv(argv), opts.stdin);
  }

  async stat(paths: readonly string[], opts: StatOptions = {}): Promise<ReadonlyMap<string, RemoteFileStat>> {
    if (paths.length === 0) return new Map();
    const r = await this.run(statArgv(paths, opts.recordDigests === true), opts, `stat ${paths.length} file(s)`);
    if (r.exitCode !== 0) throw this.failed(`stat ${paths.join(' ')}`, r);
    return parseStat(r.stdout, paths);
  }

  async writeFile(path: string, content: Uint8Array | Readable, meta: WriteMeta, opts: RunOptions = {}): Promise<void> {
    const argv = writeArgv(path, randomBytes(6).toString('hex'), meta, DIGEST_CACHE, content instanceof Uint8Array ? content.byteLength : undefined);
    const display = `write ${path}`;
    const r = await this.run(argv, { timeoutMs: WRITE_TIMEOUT_MS, ...opts }, display, content);
    if (r.exitCode === SHA_MISMATCH_EXIT) {
      throw new RemoteCommandError(this.name, display, r.exitCode, r.stderr, {
        hint: `the content arrived corrupted or its source changed since it was planned; ${path} was not touched. Run again`,
      });
    }
    if (r.exitCode !== 0) throw this.failed(display, r);
  }

  download(path: string, sink: Writable, opts: RunOptions = {}): Promise<CommandResult> {
    // sha256sum reads the file beside cat (page cache, the host's other core): the host's digest
    // arrives on stderr with the last byte, instead of costing a pass over the file before the copy.
    return this.run(['sh', '-c', DOWNLOAD_SH, 'sh', path], { timeoutMs: WRITE_TIMEOUT_MS, ...opts }, `read ${path}`, undefined, sink);
  }

  /** A RemoteCommandError with a privilege hint when stderr shows a sudo/permission problem. */
  failed(display: string, r: CommandResult): RemoteCommandError {
    const hint = privilegeHint(r.stderr, this.host.ssh.user, this.usesSudo);
    return new RemoteCommandError(this.name, display, r.exitCode, r.stderr, hint === undefined ? {} : { hint });
  }

  /**
   * Opens a long-lived channel outside the channel limit (the remote lock). The caller owns it.
   * @internal for remote-lock.ts
   */
  openChannel(argv: readonly string[], sudo: boolean): Promise<ClientChannel> {
    return execChannel(this.client, commandLine(argv, sudo && this.usesSudo));
  }

  /**
   * A byte stream to `host:port` as the remote host sees it (an SSH direct-tcpip channel, as
   * `ssh -L`): the apiserver on the host's 127.0.0.1, without a second SSH connection. Such
   * channels are not sessions, so sshd's MaxSessions does not count them.
   */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      try {
        this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch)));
      } catch (err) {
        reject(err as Error); // "Not connected"
      }
    });
  }

  /** Drops a connection that stopped answering at once (close() would wait for a goodbye). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.bastion?.end();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await endClient(this.client);
    if (this.bastion) await endClient(this.bastion);
  }

  private run(argv: readonly string[], opts: RunOptions, display: string, stdin?: Uint8Array | Readable, stdout?: Writable): Promise<CommandResult> {
    const sudo = (opts.sudo ?? true) && this.usesSudo;
    const command = commandLine(argv, sudo);
    return this.limit.run(() =>
      runChannel(this.client, {
        host: this.name,
        user: this.host.ssh.user,
        command,
        display: display === quoteArgv(argv) && sudo ? `sudo ${display}` : display,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(stdin !== undefined ? { stdin } : {}),
        ...(stdout !== undefined ? { stdout } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        killSession: (sid) => this.killSession(sid),
      }),
    );
  }

  /** Kills a timed-out or aborted command's remote session, on its own channel (outside the limit). */
  private async killSession(sid: number): Promise<void> {
    const ch = await this.openChannel(['pkill', '-KILL', '-s', String(sid)], true);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (ch.close(), resolve()), 10_000);
      ch.on('data', () => undefined).stderr.on('data', () => undefined);
      ch.once('close', () => (clearTimeout(t), resolve()));
      ch.end();
    });
  }
}

function endClient(c: Client): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 5_000);
    c.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    c.end();
  });
}
