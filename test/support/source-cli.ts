/**
 * The real CLI as a child process, built from the current src/ for process-level tests (signals,
 * EPIPE, exit codes). `tsc -p tsconfig.build.json` takes ~30 s and writes the shared dist/, which
 * other test files and builds use at the same time; instead every src/*.ts is transpiled (types
 * are checked by `npm test`'s typecheck) into a temp tree laid out like the package (dist/ next
 * to package.json, units/, manifests/, pki/, node_modules/), so paths taken from import.meta.url
 * resolve exactly as they do in the published package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = new URL('../../', import.meta.url).pathname;
let built: string | undefined;

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/**
 * Transpiles src/ into a temp package and returns the path of its cli/main.js. The package is
 * named by a hash of the checkout's path and sources, so the test files of one run (separate workers) share one build.
 */
export function sourceCli(): string {
  if (built !== undefined) return built;
  const src = join(ROOT, 'src');
  const files = [...tsFiles(src)].sort();
  // The checkout is part of the name: the package links to its node_modules, and a package built
  // from another checkout with the same sources (a clone since deleted) would not resolve them.
  const hash = createHash('sha256').update(`${ROOT}\0`);
  for (const f of files) hash.update(`${relative(src, f)}\0`).update(readFileSync(f)).update('\0');
  const target = join(tmpdir(), `kubesmith-cli-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(target, 'dist', 'cli', 'main.js'))) {
    const pkg = mkdtempSync(join(tmpdir(), 'kubesmith-cli-build-'));
    for (const name of ['package.json', 'node_modules', 'units', 'manifests', 'pki']) symlinkSync(join(ROOT, name), join(pkg, name));
    for (const file of files) {
      const out = join(pkg, 'dist', relative(src, file)).replace(/\.ts$/, '.js');
      const js = ts.transpileModule(readFileSync(file, 'utf8'), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, js.outputText);
    }
    chmodSync(pkg, 0o755); // readable by another user too (tests that run the CLI as nobody)
    try {
      renameSync(pkg, target); // atomic: another worker sees the whole package or none
    } catch {
      rmSync(pkg, { recursive: true, force: true }); // another worker finished the same build first
    }
  }
  built = join(target, 'dist', 'cli', 'main.js');
  return built;
}

/** Options for one child run. */
export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: 'ignore' | 'pipe';
  /** Run as this user and group (the test must run as root). */
  readonly uid?: number;
  readonly gid?: number;
}

/** Starts `kubesmith ARGS` with piped stdout/stderr; the caller may signal it or close its pipes. */
export function spawnCli(args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [sourceCli(), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...opts.env },
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
    ...(opts.uid === undefined ? {} : { uid: opts.uid }),
    ...(opts.gid === undefined ? {} : { gid: opts.gid }),
  });
}

/** What a finished child printed and how it ended. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/** Collects output (from pipes still open) until the child exits. */
export function finished(child: ChildProcess): Promise<ChildResult> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}
