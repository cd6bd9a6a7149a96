/**
 * Where kubesmith's own files are (units/, manifests/, pki/profiles.yaml, package.json), with one
 * answer for every layout it ships in, so the templates, the certificate catalogue and the version
 * are all found the same way:
 * - npm or tsc (`<root>/dist/state/assets.js`) and the tests (`<root>/src/state/assets.ts`): the
 *   package root is two directories up from this module.
 * - the release artifact (`npm run dist`, scripts/dist/): all code is bundled into one file
 *   (`<root>/kubesmith.cjs`, or the single executable `<root>/kubesmith`) that sits in the root
 *   beside those files. The bundler defines KUBESMITH_BUILD, and for the executable it points
 *   import.meta.url at the executable itself, so "the directory of the running code" is the root.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Facts the release build records in the bundle (scripts/dist/bundle.mjs `define`). */
export interface BuildInfo {
  /** package.json "version" at build time. */
  readonly version: string;
  /** package.json "engines.node" at build time. */
  readonly node: string;
  /** The git commit the artifact was built from ("unknown" outside a git checkout). */
  readonly commit: string;
  /** `bundle`: kubesmith.cjs run by an installed Node; `sea`: a Node single executable application. */
  readonly layout: 'bundle' | 'sea';
}

// Replaced by a literal in the release bundle; in the npm layout the name is never defined, and
// `typeof` of an undeclared name is "undefined" rather than a ReferenceError.
declare const KUBESMITH_BUILD: BuildInfo | undefined;

/** The build facts of a release artifact; undefined when running from the npm/tsc layout. */
export const BUILD: BuildInfo | undefined = typeof KUBESMITH_BUILD === 'undefined' ? undefined : KUBESMITH_BUILD;

/** The directory that holds units/, manifests/, pki/ (and, in the npm layout, package.json). */
export function assetRoot(): string {
  return fileURLToPath(new URL(BUILD === undefined ? '../../' : './', import.meta.url));
}

/** An absolute path under assetRoot(): assetPath('pki', 'profiles.yaml'). */
export function assetPath(...parts: readonly string[]): string {
  return join(assetRoot(), ...parts);
}
