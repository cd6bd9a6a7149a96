/** Loads the shipped templates for tests (the same loader the CLI uses). */
import { loadTemplates } from '../../../src/state/load-templates.js';
import type { TemplateSources } from '../../../src/render/engine.js';

/** The package's units/ and manifests/ templates. */
export function shippedTemplates(): TemplateSources {
  return loadTemplates(new URL('../../../', import.meta.url).pathname);
}
