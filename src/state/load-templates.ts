/**
 * Reads the shipped templates (units/, manifests/) from the package root. The only file access of
 * the renderer; everything after this is pure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplateSources } from '../render/engine.js';
import { TEMPLATE_NAMES } from '../render/templates.js';
import { StateError } from '../shared/errors.js';

/** The package root: dist/state/ or src/state/ -> two levels up. */
export function packageRoot(): string {
  return new URL('../../', import.meta.url).pathname;
}

/** Reads every template in TEMPLATE_NAMES from `root` (default: the package root). */
export function loadTemplates(root: string = packageRoot()): TemplateSources {
  const out = new Map<string, string>();
  for (const name of TEMPLATE_NAMES) {
    try {
      out.set(name, readFileSync(join(root, name), 'utf8'));
    } catch (err) {
      throw new StateError(`${join(root, name)}: cannot read template`, {
        hint: 'the units/ and manifests/ directories must ship with kubesmith (package.json "files")',
        cause: err,
      });
    }
  }
  return out;
}
