/**
 * Reads the shipped templates (units/, manifests/) from the package root. The only file access of
 * the renderer; everything after this is pure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplateSources } from '../render/engine.js';
import { TEMPLATE_NAMES } from '../render/templates.js';
import { StateError } from '../shared/errors.js';
import { assetRoot } from './assets.js';

/** Reads every template in TEMPLATE_NAMES from `root` (default: where kubesmith's files are, assets.ts). */
export function loadTemplates(root: string = assetRoot()): TemplateSources {
  const out = new Map<string, string>();
  for (const name of TEMPLATE_NAMES) {
    try {
      out.set(name, readFileSync(join(root, name), 'utf8'));
    } catch (err) {
      throw new StateError(`${join(root, name)}: cannot read template`, {
        hint: 'the units/ and manifests/ directories ship with kubesmith, beside dist/ (npm) or beside kubesmith.cjs (release artifact): reinstall or unpack the artifact again',
        cause: err,
      });
    }
  }
  return out;
}
