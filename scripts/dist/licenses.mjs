// THIRD-PARTY-LICENSES.txt: the license of every npm package whose code went into the bundle,
// found from esbuild's metafile (the inputs it really used), not from package.json, so a
// dependency that tree-shaking dropped is not listed and a transitive one that stayed is.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** "node_modules/@scope/name/lib/x.js" -> "node_modules/@scope/name" (the innermost package). */
function packageDir(input) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m?.[1];
}

/** License-like files at a package's top level, sorted. */
function licenseFiles(dir) {
  return readdirSync(dir)
    .filter((f) => /^(licen[cs]e|copying|notice)([.-].*)?$/i.test(f))
    .sort();
}

/** The packages in `metafile`, each with its license files' text; sorted by name and version. */
export function bundledPackages(root, metafile) {
  const dirs = new Set(Object.keys(metafile.inputs).map(packageDir).filter((d) => d !== undefined));
  return [...dirs]
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      const files = licenseFiles(join(root, dir)).map((f) => ({ name: f, text: readFileSync(join(root, dir, f), 'utf8') }));
      return { name: pkg.name, version: pkg.version, license: pkg.license ?? 'UNKNOWN', dir, files };
    })
    .sort((a, b) => (a.name === b.name ? (a.version < b.version ? -1 : 1) : a.name < b.name ? -1 : 1));
}

/** Where the running Node's own LICENSE is (Node's tarball and the NodeSource/Debian packages). */
export function nodeLicense(execPath) {
  const prefix = join(execPath, '..', '..');
  const found = ['share/doc/node/LICENSE', 'share/doc/nodejs/LICENSE', 'LICENSE'].map((p) => join(prefix, p)).find((p) => existsSync(p));
  if (!found) throw new Error(`sea: no LICENSE of the Node.js at ${execPath} (looked under ${prefix}/share/doc/node{,js}/): the single executable embeds Node and must ship its license`);
  return readFileSync(found, 'utf8');
}

/** The text of THIRD-PARTY-LICENSES.txt. `node`: Node's license when the artifact embeds Node. */
export function licensesText(ownLicense, packages, node) {
  const rule = '='.repeat(78);
  const parts = [
    `kubesmith is licensed under ${ownLicense} (package.json "license").`,
    'This artifact bundles the npm packages below (and, for the single executable, Node.js itself);',
    'each is listed with the license files it ships.',
    '',
    ...packages.map((p) => `  ${p.name}@${p.version} (${p.license})`),
    ...(node ? ['  Node.js (the executable this artifact is built on)'] : []),
  ];
  for (const p of packages) {
    parts.push('', rule, `${p.name}@${p.version}  license: ${p.license}`, rule);
    if (p.files.length === 0) parts.push(`(the package ships no license file; package.json says "${p.license}")`);
    for (const f of p.files) parts.push(`--- ${f.name}`, f.text.trimEnd());
  }
  if (node) parts.push('', rule, 'Node.js', rule, node.trimEnd());
  return `${parts.join('\n')}\n`;
}
