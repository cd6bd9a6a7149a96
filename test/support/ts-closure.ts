/**
 * Transpiles a TypeScript entry file and every module it imports at run time (relative imports,
 * followed transitively) to plain ESM JavaScript, so a test can run that code in a child `node`
 * process and kill it mid-way. Output mirrors the repository layout under node_modules/.cache (so
 * bare imports still resolve to the project's packages); no type check (vitest's typecheck does that).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const RUNTIME_IMPORT = /^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'(\.{1,2}\/[^']+)\.js'/gm;

/** Returns the path of the compiled entry; `entry` is a .ts path inside the repository. */
export function transpileClosure(entry: string, name: string): string {
  const outRoot = join(ROOT, 'node_modules', '.cache', `kubesmith-ts-child-${name}-${process.pid}`);
  const seen = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(RUNTIME_IMPORT)) todo.push(resolve(dirname(file), `${m[1]}.ts`));
    const js = ts.transpileModule(src, { fileName: file, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    const out = join(outRoot, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, js.outputText);
  }
  return join(outRoot, relative(ROOT, resolve(entry))).replace(/\.ts$/, '.js');
}
