#!/usr/bin/env node
// `npm run dist`: the release artifacts of kubesmith for an offline (air-gapped) bastion, in
// dist-release/ (or --out DIR):
//   kubesmith-<version>.tar.gz             kubesmith.cjs (one file, runs on Node >= 20) + assets
//   kubesmith-<version>-linux-<arch>.tar.gz  the same as a Node single executable (no Node needed)
//   SHA256SUMS                             both tarballs, for `sha256sum -c`
// Each tarball holds kubesmith-<...>/ with the program, units/, manifests/, pki/,
// inventory.example.yaml, README.md, THIRD-PARTY-LICENSES.txt and its own SHA256SUMS.
// Reproducible: the same commit gives the same bytes (mtimes are the commit's time or
// SOURCE_DATE_EPOCH; see pack.mjs and sea.mjs for the rest). `--no-sea` builds the first only.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundle } from './bundle.mjs';
import { bundledPackages, licensesText, nodeLicense } from './licenses.mjs';
import { filesUnder, put, sha256, sha256sums, tarGz } from './pack.mjs';
import { buildSea } from './sea.mjs';

const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const OUT = resolve(outIndex >= 0 ? args[outIndex + 1] ?? '' : join(ROOT, 'dist-release'));
const SEA = !args.includes('--no-sea');

const git = (...a) => execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim();

/** The commit, and the time every archive entry gets. */
function sourceIdentity() {
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = git('rev-parse', 'HEAD');
    dirty = git('status', '--porcelain') !== '';
  } catch {
    // Not a git checkout: SOURCE_DATE_EPOCH must then say what time to use.
  }
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  const epoch = fromEnv ?? (commit === 'unknown' ? undefined : git('log', '-1', '--format=%ct', 'HEAD'));
  if (epoch === undefined || !/^\d+$/.test(epoch)) {
    throw new Error('dist: no commit time: build from a git checkout, or set SOURCE_DATE_EPOCH to a Unix time');
  }
  if (dirty) process.stderr.write(`dist: warning: the working tree differs from ${commit}; the artifact is marked ${commit}-dirty and is not that commit's\n`);
  return { commit: dirty ? `${commit}-dirty` : commit, epoch: Number(epoch) };
}

/** Stages one artifact directory and packs it; returns the tarball's name. */
async function artifact(pkg, id, stage, layout) {
  const name = layout === 'sea' ? `kubesmith-${pkg.version}-linux-${process.arch}` : `kubesmith-${pkg.version}`;
  const dir = join(stage, name);
  const built = await bundle(ROOT, { version: pkg.version, node: pkg.engines.node, commit: id.commit, layout });
  if (layout === 'sea') {
    mkdirSync(dir, { recursive: true });
    await buildSea(built.code, join(dir, 'kubesmith'));
  } else {
    put(dir, 'kubesmith.cjs', built.code, true);
  }
  // What ships beside the program: package.json "files" (less dist/, now bundled) and the README.
  for (const entry of [...pkg.files.filter((f) => f !== 'dist'), 'README.md']) {
    const files = entry.includes('.') ? [entry] : filesUnder(join(ROOT, entry)).map((f) => join(entry, f));
    for (const f of files) put(dir, f, readFileSync(join(ROOT, f)));
  }
  const node = layout === 'sea' ? nodeLicense(process.execPath) : undefined;
  put(dir, 'THIRD-PARTY-LICENSES.txt', licensesText(pkg.license, bundledPackages(ROOT, built.metafile), node));
  put(dir, 'SHA256SUMS', sha256sums(dir, filesUnder(dir)));
  const file = `${name}.tar.gz`;
  const size = tarGz(stage, name, join(OUT, file), id.epoch);
  process.stdout.write(`${file}: ${(size / 1e6).toFixed(2)} MB (${name}/${layout === 'sea' ? 'kubesmith' : 'kubesmith.cjs'} ${(built.code.length / 1e6).toFixed(2)} MB of JavaScript)\n`);
  return file;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const id = sourceIdentity();
mkdirSync(OUT, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'kubesmith-dist-'));
try {
  const files = [await artifact(pkg, id, stage, 'bundle')];
  if (SEA) files.push(await artifact(pkg, id, stage, 'sea'));
  writeFileSync(join(OUT, 'SHA256SUMS'), sha256sums(OUT, files));
  for (const f of files) process.stdout.write(`${sha256(join(OUT, f))}  ${join(OUT, f)}\n`);
  process.stdout.write(`built from ${id.commit} (mtime ${id.epoch}); verify with: cd ${OUT} && sha256sum -c SHA256SUMS\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
