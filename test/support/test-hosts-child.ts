/**
 * Runs kubesmith source code in a separate Node process (to kill -9 it mid-run). Node 20 cannot
 * load .ts, so the needed src/ directories are transpiled with TypeScript's own transpiler into a
 * directory under node_modules/.cache (so bare imports such as 'ssh2' resolve to the project's).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const REPO = new URL('../../', import.meta.url).pathname;

/** Transpiles the given src/ subdirectories (recursively) and returns the output root. */
export function transpileSources(dirs: readonly string[]): string {
  const out = join(REPO, 'node_modules/.cache/kubesmith-test-child', String(process.pid));
  rmSync(out, { recursive: true, force: true });
  for (const d of dirs) {
    for (const file of walk(join(REPO, d))) {
      const js = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      }).outputText;
      const dest = join(out, relative(REPO, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, js);
    }
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  return out;
}

/** Starts `node -e script` in `cwd` (an ES module script); stdout is piped for the caller. */
export function startNodeChild(cwd: string, script: string, args: readonly string[] = []): ChildProcess {
  const file = join(cwd, `child-${Math.random().toString(16).slice(2)}.mjs`);
  writeFileSync(file, script);
  return spawn(process.execPath, [file, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with the first stdout line matching `re` (rejects if the child exits first). */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`child: no line matching ${re} in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        clearTimeout(t);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`child exited ${code} before printing ${re}; stderr: ${err}`));
    });
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
