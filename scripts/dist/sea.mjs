// The Node single executable application (SEA): a copy of the Node binary that runs this build with
// the CommonJS bundle injected (https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html).
// Node 20: `node --experimental-sea-config` writes the preparation blob, postject injects it as the
// NODE_SEA_BLOB note and flips the fuse. No code cache (`useCodeCache`): V8's cache bytes differ
// from run to run, which would break "same sha256 from the same commit". The executable is as
// reproducible as the Node binary it copies: the same commit built with the same Node build gives
// the same bytes; another Node build gives another executable.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'postject';

/** The fuse Node looks for (documented in Node's SEA guide; postject flips it). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Writes the executable for `cjsCode` to `outFile`, built on `node` (default: the running Node). */
export async function buildSea(cjsCode, outFile, node = process.execPath) {
  const work = mkdtempSync(join(tmpdir(), 'kubesmith-sea-'));
  try {
    writeFileSync(join(work, 'kubesmith.cjs'), cjsCode);
    // Relative paths, run from `work`: the blob records the main script's path as given, and a
    // temporary directory's random name in it made every build's executable differ.
    const config = { main: 'kubesmith.cjs', output: 'sea-prep.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false };
    writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config));
    execFileSync(node, ['--experimental-sea-config', 'sea-config.json'], { cwd: work, stdio: 'pipe' });
    copyFileSync(node, outFile);
    chmodSync(outFile, 0o755);
    // postject warns "Can't find string offset for section name '.note.100'" on Linux: harmless
    // (it names the note it adds; Node finds the blob by the note's name, not the section's).
    await inject(outFile, 'NODE_SEA_BLOB', readFileSync(join(work, config.output)), { sentinelFuse: FUSE });
    chmodSync(outFile, 0o755);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
