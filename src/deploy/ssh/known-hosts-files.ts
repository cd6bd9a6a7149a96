/**
 * The known_hosts files of one run, each read and indexed once (known-hosts.ts indexKnownHosts),
 * however many connections check their host key against it: reading and parsing the whole file
 * per connection made connecting N hosts quadratic (a 5,000-host file is read 5,000 times). The
 * transport of a run (cli/ssh-transport.ts, pki check --remote's opener) holds one and passes it
 * down with the connect options; a connection without one reads the file for itself, as before.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { indexKnownHosts, judgeHostKey, knownHostsLine, parseKnownHosts, type KnownHostsIndex } from './known-hosts.js';

/** Reads a file's text, undefined when it does not exist. */
export type TextReader = (file: string) => string | undefined;

const readText: TextReader = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

/** known_hosts files read once each. */
export class KnownHostsFiles {
  private readonly indexes = new Map<string, KnownHostsIndex>();
  /** Files read so far (what the scale test counts). */
  reads = 0;

  constructor(private readonly read: TextReader = readText) {}

  /** The index of `file` (an absolute path), read on first use. */
  index(file: string): KnownHostsIndex {
    let index = this.indexes.get(file);
    if (index === undefined) {
      this.reads += 1;
      index = indexKnownHosts(parseKnownHosts(this.read(file) ?? ''));
      this.indexes.set(file, index);
    }
    return index;
  }

  /**
   * Appends `name`'s key (accept-new, after the handshake proved the host holds it) unless this run
   * knows it already (another connection to the same address added it). One O_APPEND write, so
   * concurrent appenders cannot interleave within it; 0600, directory created.
   */
  append(file: string, name: string, blob: Buffer): void {
    const index = this.index(file);
    if (judgeHostKey(index, name, blob).kind !== 'unknown') return;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const line = knownHostsLine(name, blob);
    appendFileSync(file, `${endsWithoutNewline(file) ? '\n' : ''}${line}\n`, { mode: 0o600 });
    const [entry] = parseKnownHosts(line);
    if (entry) index.add({ ...entry, line: index.lines + 1 });
  }
}

/** True when the file exists, is not empty and its last byte is not a newline (read: that byte only). */
function endsWithoutNewline(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
