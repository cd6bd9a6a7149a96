/**
 * An in-memory host for unit tests of the runner, executor and phases: a file map, systemd unit
 * states and scripted command answers (k0sctl rigtest's MockRunner idea). It passes the same
 * contract suite as the real ssh2 connection (host-connection-contract.ts), so it cannot drift
 * from reality on the behaviours the deployer relies on (atomic, sha256-verified writes; probes
 * that never throw on non-zero exits).
 */
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import type { CommandResult, HostConnection, RemoteFileStat, RunOptions, WriteMeta } from '../../src/deploy/ssh/connection.js';

interface FakeFile {
  readonly content: Buffer;
  readonly mode: number;
  readonly owner: string;
}

/** A scripted answer: when `match(argv)` holds, `answer` decides the result. */
export interface FakeCommand {
  readonly match: (argv: readonly string[]) => boolean;
  readonly answer: (argv: readonly string[]) => CommandResult | Promise<CommandResult>;
}

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const fail = (exitCode: number, stderr: string, stdout = ''): CommandResult => ({ exitCode, stdout, stderr });

/** In-memory HostConnection. Every call is recorded in `log` ("exec ...", "probe ...", "write ..."). */
export class FakeHost implements HostConnection {
  readonly name: string;
  readonly files = new Map<string, FakeFile>();
  readonly dirs = new Set<string>(['/', '/tmp']);
  readonly units = new Map<string, { enabled: boolean; active: boolean }>();
  readonly log: string[] = [];
  readonly commands: FakeCommand[] = [];
  closed = false;
  /** Write calls that fail (after streaming) for paths matching this, to test failure handling. */
  failWritesTo: RegExp | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** Adds a scripted answer, checked before the built-in commands (latest first). */
  on(match: string | RegExp | ((argv: readonly string[]) => boolean), answer: FakeCommand['answer'] | CommandResult): this {
    const m =
      typeof match === 'function' ? match : (argv: readonly string[]) => (typeof match === 'string' ? argv.join(' ').startsWith(match) : match.test(argv.join(' ')));
    this.commands.unshift({ match: m, answer: typeof answer === 'function' ? answer : () => answer });
    return this;
  }

  /** Seeds a file as if it were already on the host. */
  seed(path: string, content: string | Buffer, mode = 0o644, owner = 'root:root'): this {
    this.files.set(path, { content: Buffer.from(content), mode, owner });
    this.mkdirs(path.slice(0, path.lastIndexOf('/')));
    return this;
  }

  /** Text of a file, or undefined. */
  text(path: string): string | undefined {
    return this.files.get(path)?.content.toString('utf8');
  }

  /** Recorded mutating commands (exec + write), for "wrote nothing" assertions. */
  mutations(): readonly string[] {
    return this.log.filter((l) => l.startsWith('exec ') || l.startsWith('write '));
  }

  async probe(argv: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    opts?.signal?.throwIfAborted();
    this.log.push(`probe ${argv.join(' ')}`);
    return this.run(argv);
  }

  async exec(argv: readonly string[], opts?: RunOptions & { readonly stdin?: Uint8Array }): Promise<CommandResult> {
    opts?.signal?.throwIfAborted();
    this.log.push(`exec ${argv.join(' ')}`);
    return this.run(argv);
  }

  async stat(paths: readonly string[]): Promise<ReadonlyMap<string, RemoteFileStat>> {
    this.log.push(`stat ${paths.length}`);
    const out = new Map<string, RemoteFileStat>();
    for (const p of paths) {
      const f = this.files.get(p);
      if (f) out.set(p, { sha256: sha(f.content), mode: f.mode, owner: f.owner, size: f.content.length });
    }
    return out;
  }

  async writeFile(path: string, content: Uint8Array | Readable, meta: WriteMeta, opts?: RunOptions): Promise<void> {
    opts?.signal?.throwIfAborted();
    this.log.push(`write ${path}`);
    const chunks: Buffer[] = [];
    if (content instanceof Readable) for await (const c of content) chunks.push(Buffer.from(c as Uint8Array));
    else chunks.push(Buffer.from(content));
    const data = Buffer.concat(chunks);
    if (this.failWritesTo?.test(path)) throw new Error(`${this.name}: write ${path}: injected failure`);
    if (sha(data) !== meta.sha256) throw new Error(`${this.name}: ${path}: sha256 mismatch after transfer: expected ${meta.sha256}, got ${sha(data)}`);
    this.mkdirs(path.slice(0, path.lastIndexOf('/')));
    this.files.set(path, { content: data, mode: meta.mode, owner: meta.owner });
  }

  /** Streams a seeded file into `sink` in 64 KiB chunks, honouring its backpressure like a channel. */
  async download(path: string, sink: Writable, opts?: RunOptions): Promise<CommandResult> {
    opts?.signal?.throwIfAborted();
    this.log.push(`download ${path}`);
    const f = this.files.get(path);
    if (!f) return fail(1, `cat: ${path}: No such file or directory`);
    for (let i = 0; i < f.content.length; i += 65536) {
      if (!sink.write(f.content.subarray(i, i + 65536))) await new Promise((res) => sink.once('drain', res));
    }
    return { exitCode: 0, stdout: '', stderr: `${sha(f.content)}  ${path}\n` };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private mkdirs(dir: string): void {
    const parts = dir.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) this.dirs.add(`/${parts.slice(0, i).join('/')}`);
  }

  private unit(name: string): { enabled: boolean; active: boolean } {
    const u = this.units.get(name) ?? { enabled: false, active: false };
    this.units.set(name, u);
    return u;
  }

  private async run(argv: readonly string[]): Promise<CommandResult> {
    const scripted = this.commands.find((c) => c.match(argv));
    if (scripted) return scripted.answer(argv);
    return this.builtin(argv);
  }

  private builtin(argv: readonly string[]): CommandResult | Promise<CommandResult> {
    const [cmd, ...args] = argv;
    const last = args[args.length - 1] ?? '';
    switch (cmd) {
      case 'true':
        return ok();
      case 'false':
        return fail(1, '');
      case 'printf':
        return ok(args.slice(1).join(''));
      case 'cat': {
        const f = this.files.get(last);
        return f ? ok(f.content.toString('utf8')) : fail(1, `cat: ${last}: No such file or directory`);
      }
      case 'test':
        return (args[0] === '-d' ? this.dirs.has(last) : this.files.has(last) || (args[0] === '-e' && this.dirs.has(last))) ? ok() : fail(1, '');
      case 'ls': {
        if (!this.dirs.has(last)) return fail(2, `ls: cannot access '${last}': No such file or directory`);
        const prefix = last.endsWith('/') ? last : `${last}/`;
        const names = [...this.files.keys(), ...this.dirs].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/') && p !== last);
        return ok(names.map((p) => p.slice(prefix.length)).sort().join('\n') + (names.length ? '\n' : ''));
      }
      case 'mkdir':
        this.mkdirs(last);
        return ok();
      case 'rm':
        for (const p of args.filter((a) => !a.startsWith('-'))) this.files.delete(p);
        return ok();
      case 'chmod': {
        const f = this.files.get(last);
        if (f) this.files.set(last, { ...f, mode: parseInt(args[0] ?? '644', 8) });
        return f || this.dirs.has(last) ? ok() : fail(1, `chmod: cannot access '${last}'`);
      }
      case 'chown': {
        const f = this.files.get(last);
        if (f) this.files.set(last, { ...f, owner: args[0] ?? 'root:root' });
        return f ? ok() : fail(1, `chown: cannot access '${last}'`);
      }
      case 'stat': {
        if (args[1] === '%n|%a|%U:%G|%s') {
          const paths = args.slice(2);
          const lines = paths.flatMap((p) => {
            const f = this.files.get(p);
            return f ? [`${p}|${f.mode.toString(8)}|${f.owner}|${f.content.length}\n`] : [];
          });
          return { exitCode: lines.length === paths.length ? 0 : 1, stdout: lines.join(''), stderr: '' };
        }
        return this.dirs.has(last) ? ok('755\n') : this.files.has(last) ? ok(`${this.files.get(last)?.mode.toString(8)}\n`) : fail(1, 'stat: No such file');
      }
      case 'sh':
        return this.shell(args);
      case 'systemctl':
        return this.systemctl(args);
      default:
        return fail(127, `${cmd}: command not found (FakeHost has no answer scripted for: ${argv.join(' ')})`);
    }
  }

  /** The executor's pending-restart marker script and the batched pre-probe runner are understood. */
  private async shell(args: readonly string[]): Promise<CommandResult> {
    if (args[1]?.startsWith('run() {')) {
      let out = '';
      for (const line of args[1].split('\n').slice(1)) {
        const [, i, ...argv] = shellWords(line);
        const r = await this.run(argv);
        out += `@@ ${i} ${r.exitCode}\n${r.stdout.replace(/\n+$/, '')}\n@@.\n`;
      }
      return ok(out);
    }
    if (args[1]?.startsWith('mkdir -p -m 700 "$1" && shift && touch')) {
      const [, , , dir, ...markers] = args;
      this.mkdirs(dir ?? '/');
      for (const m of markers) this.files.set(m, { content: Buffer.alloc(0), mode: 0o644, owner: 'root:root' });
      return ok();
    }
    return fail(127, `sh -c: FakeHost has no answer scripted for: ${args.join(' ')}`);
  }

  private systemctl(args: readonly string[]): CommandResult {
    const unitName = args.filter((a) => !a.startsWith('-')).slice(1)[0] ?? '';
    switch (args[0]) {
      case 'daemon-reload':
        return ok();
      case 'is-enabled': {
        // Like systemctl: one line per unit (every unit has a file here), exit 0 when one is enabled.
        const states = args.slice(1).filter((a) => !a.startsWith('-')).map((n) => (this.unit(n).enabled ? 'enabled' : 'disabled'));
        return { exitCode: states.includes('enabled') ? 0 : 1, stdout: states.map((x) => `${x}\n`).join(''), stderr: '' };
      }
      case 'is-active': {
        // Like systemctl: one line per unit, exit 0 only when all are active.
        const names = args.slice(1).filter((a) => !a.startsWith('-'));
        const states = names.map((n) => (this.unit(n).active ? 'active' : 'inactive'));
        return { exitCode: states.every((x) => x === 'active') ? 0 : 3, stdout: states.map((x) => `${x}\n`).join(''), stderr: '' };
      }
      case 'enable':
        this.unit(unitName).enabled = true;
        return ok();
      case 'start':
      case 'restart':
        this.unit(unitName).active = true;
        return ok();
      case 'try-reload-or-restart':
        // Like systemctl: a unit that does not run stays stopped.
        return ok();
      default:
        return fail(1, `systemctl ${args[0]}: not supported by FakeHost`);
    }
  }
}

/** Splits a POSIX-quoted command line (plain words and '...' with '\\'' escapes), as shQuote writes them. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (c === "'") {
      // An unclosed quote (a quoted newline split the line) takes the rest: never loops back.
      const end = line.indexOf("'", i + 1) < 0 ? line.length : line.indexOf("'", i + 1);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      cur = (cur ?? '') + (line[i + 1] ?? '');
      i += 1;
    } else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
