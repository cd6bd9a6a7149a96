/**
 * The host interfaces. Phases get a HostReader (read-only probes); only src/deploy/executor.ts
 * gets a HostWriter. The ssh2 implementation lives beside this file; tests may use a fake that
 * passes the same contract suite.
 */
import type { Readable, Writable } from 'node:stream';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Run through `sudo -n` when the connection's user is not root. @default true */
  readonly sudo?: boolean;
  readonly signal?: AbortSignal;
  /** @default 120 s */
  readonly timeoutMs?: number;
}

/** Options of HostWriter.stat(). */
export interface StatOptions extends RunOptions {
  /**
   * Store freshly computed sha256s in the host's digest cache (digest-cache.ts) so the next
   * apply need not hash unchanged files again. Only writers may: a dry-run writes nothing.
   */
  readonly recordDigests?: boolean;
}

export interface RemoteFileStat {
  readonly sha256: string;
  readonly mode: number; // permission bits only, e.g. 0o644
  readonly owner: string; // "root:root"
  readonly size: number;
}

/** Read-only view of a host. Everything a phase may touch. */
export interface HostReader {
  readonly name: string;
  /** Runs a read-only command (argv, quoted remotely). Never throws on non-zero exit. */
  probe(argv: readonly string[], opts?: RunOptions): Promise<CommandResult>;
  /** sha256/mode/owner of each path that exists (one round trip for many paths). */
  stat(paths: readonly string[], opts?: RunOptions): Promise<ReadonlyMap<string, RemoteFileStat>>;
}

export interface WriteMeta {
  readonly mode: number;
  readonly owner: string;
  /** Expected sha256 of the content; the write is verified on the host before the rename. */
  readonly sha256: string;
}

/** Mutating view. Only the executor (and the ssh implementation) may reference it. */
export interface HostWriter extends HostReader {
  /** stat() that may also record digests (StatOptions.recordDigests). */
  stat(paths: readonly string[], opts?: StatOptions): Promise<ReadonlyMap<string, RemoteFileStat>>;
  /** Runs a command; never throws on non-zero exit (the caller decides). */
  exec(argv: readonly string[], opts?: RunOptions & { readonly stdin?: Uint8Array }): Promise<CommandResult>;
  /**
   * Atomic write: stream to "<path>.kubesmith-tmp-<rand>" next to the target, fsync, verify sha256,
   * chmod/chown, then rename over the target. A failure or interruption leaves the target untouched
   * and no temp file behind once the next write or cleanup runs.
   */
  writeFile(path: string, content: Uint8Array | Readable, meta: WriteMeta, opts?: RunOptions): Promise<void>;
  /**
   * Streams a remote file into `sink` over the existing connection, with the channel's window as
   * backpressure (an etcd snapshot is never held whole in memory), while the host computes its
   * sha256: the result's stderr carries a `sha256sum` line. `sink` is not ended; never throws on a
   * non-zero exit (the caller decides). Only the executor's fetch step uses it.
   */
  download(path: string, sink: Writable, opts?: RunOptions): Promise<CommandResult>;
}

export interface HostConnection extends HostWriter {
  close(): Promise<void>;
}
