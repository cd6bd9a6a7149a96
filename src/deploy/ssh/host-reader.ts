/**
 * The read-only face of a connection. Phases (gather/verify) and dry-run get this object, which
 * has no exec/writeFile at all, so a phase cannot write even by a cast.
 */
import type { CommandResult, HostReader, RemoteFileStat, RunOptions } from './connection.js';

/** Wraps a connection so that only probe() and stat() are reachable. */
export function readOnlyView(conn: HostReader): HostReader {
  return Object.freeze({
    name: conn.name,
    probe: (argv: readonly string[], opts?: RunOptions): Promise<CommandResult> => conn.probe(argv, opts),
    stat: (paths: readonly string[], opts?: RunOptions): Promise<ReadonlyMap<string, RemoteFileStat>> => conn.stat(paths, opts),
  });
}
