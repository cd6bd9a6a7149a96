/**
 * A HostWriter that counts the calls which may change the host (exec, writeFile) in `state.writes`
 * before making them (a write that fails half-way has still touched the host). The executor runs
 * on it, so the run knows when the stats it gathered stopped being the host's (gathered-stats.ts).
 */
import type { HostWriter } from './connection.js';

/** `host`, counting its writes in `state.writes`. */
export function countingWriter(host: HostWriter, state: { writes: number }): HostWriter {
  return {
    name: host.name,
    probe: (argv, opts) => host.probe(argv, opts),
    stat: (paths, opts) => host.stat(paths, opts),
    download: (path, sink, opts) => host.download(path, sink, opts),
    exec: (argv, opts) => {
      state.writes += 1;
      return host.exec(argv, opts);
    },
    writeFile: (path, content, meta, opts) => {
      state.writes += 1;
      return host.writeFile(path, content, meta, opts);
    },
  };
}
