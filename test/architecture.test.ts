/**
 * Enforces ARCHITECTURE.md's side-effect rule and import boundaries by scanning src/ as text.
 * I/O may only happen in the named places; everything else is pure and takes time, randomness
 * and keys as inputs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;
const files = (function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
})(SRC).map((abs) => ({ rel: relative(SRC, abs), text: readFileSync(abs, 'utf8') }));

/** The only places allowed to perform I/O (see ARCHITECTURE.md, "Where side effects live"). */
const IO_PLACES = [/^cli\//, /^state\//, /^deploy\/ssh\//, /^deploy\/executor\.ts$/, /^kube\/https-transport\.ts$/];
const isIoPlace = (rel: string): boolean => IO_PLACES.some((re) => re.test(rel));

const importsOf = (text: string): string[] =>
  [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2]) as string,
  );

describe('architecture', () => {
  it('keeps I/O modules inside the side-effect places', () => {
    const io = /^(node:)?(fs|fs\/promises|child_process|net|tls|https|http|dgram|readline)$|^ssh2$/;
    const bad = files.flatMap((f) =>
      isIoPlace(f.rel) ? [] : importsOf(f.text).filter((m) => io.test(m)).map((m) => `${f.rel} imports ${m}`),
    );
    expect(bad).toEqual([]);
  });

  it('keeps clocks and randomness out of pure code', () => {
    const banned = /Date\.now\(|new Date\(\)|Math\.random\(|randomBytes\(|randomUUID\(|getRandomValues\(/;
    const bad = files.filter((f) => !isIoPlace(f.rel) && banned.test(f.text.replace(/\/\/.*$/gm, ''))).map((f) => f.rel);
    expect(bad).toEqual([]);
  });

  it('confines each library to its seam', () => {
    const seams: [RegExp, RegExp][] = [
      [/^pino$/, /^cli\//],
      [/^p-queue$/, /^deploy\/(runner|executor)\.ts$/],
      [/^(@peculiar\/|reflect-metadata$)/, /^pki\/_x509[\w-]*\.ts$/],
      [/^handlebars$/, /^render\/engine\.ts$/],
      [/^yaml$/, /^(inventory\/|pki\/profiles\.ts$|render\/|cli\/|state\/|kube\/)/],
    ];
    const bad = files.flatMap((f) =>
      importsOf(f.text).flatMap((m) =>
        seams.filter(([lib, where]) => lib.test(m) && !where.test(f.rel)).map(() => `${f.rel} imports ${m}`),
      ),
    );
    expect(bad).toEqual([]);
    expect(files.filter((f) => /node-forge/.test(f.text)).map((f) => f.rel)).toEqual([]);
  });

  it('lets only the executor and the ssh layer hold a HostWriter', () => {
    const allowed = /^deploy\/(executor\.ts|ssh\/)/;
    const bad = files.filter((f) => !allowed.test(f.rel) && /\bHost(Writer|Connection)\b/.test(f.text)).map((f) => f.rel);
    expect(bad.filter((r) => !/^(cli\/|deploy\/runner\.ts$)/.test(r))).toEqual([]);
  });

  it('has no import cycles', () => {
    const graph = new Map<string, string[]>();
    for (const f of files) {
      const deps = importsOf(f.text)
        .filter((m) => m.startsWith('.'))
        .map((m) => relative(SRC, join(SRC, f.rel, '..', m)).replace(/\.js$/, '.ts'));
      graph.set(f.rel, deps);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (n: string, path: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'visiting') return void cycles.push([...path.slice(path.indexOf(n)), n].join(' -> '));
      state.set(n, 'visiting');
      for (const d of graph.get(n) ?? []) visit(d, [...path, n]);
      state.set(n, 'done');
    };
    for (const n of graph.keys()) visit(n, []);
    expect(cycles).toEqual([]);
  });

  it('keeps files small (split at 300 lines)', () => {
    const big = files.filter((f) => f.text.split('\n').length > 300).map((f) => `${f.rel}: ${f.text.split('\n').length}`);
    expect(big).toEqual([]);
  });
});
