/**
 * Builds the release artifacts exactly as `npm run dist` does (scripts/dist/build.mjs, as a child
 * process) into a directory of the test's own, and unpacks them.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

/** What one build produced. */
export interface DistBuild {
  readonly outDir: string;
  readonly version: string;
  /** kubesmith-<version>.tar.gz (kubesmith.cjs + assets). */
  readonly tarball: string;
  /** kubesmith-<version>-linux-<arch>.tar.gz (the single executable), when built. */
  readonly seaTarball?: string;
  readonly stdout: string;
  readonly seconds: number;
}

/** Runs the builder into `outDir`; `sea: false` passes --no-sea. */
export function buildDist(outDir: string, opts: { sea: boolean }): Promise<DistBuild> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const args = [join(ROOT, 'scripts/dist/build.mjs'), '--out', outDir, ...(opts.sea ? [] : ['--no-sea'])];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 1 << 24, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`npm run dist failed: ${err.message}\n${stdout}${stderr}`));
      resolve({
        outDir,
        version,
        tarball: join(outDir, `kubesmith-${version}.tar.gz`),
        ...(opts.sea ? { seaTarball: join(outDir, `kubesmith-${version}-linux-${process.arch}.tar.gz`) } : {}),
        stdout,
        seconds: (performance.now() - started) / 1000,
      });
    });
  });
}
