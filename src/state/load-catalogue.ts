/** Reads the shipped certificate catalogue, pki/profiles.yaml (next to dist/ and src/). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCatalogue } from '../pki/profiles.js';
import type { PkiCatalogue } from '../pki/profile-types.js';
import { StateError } from '../shared/errors.js';

/** Path of the catalogue shipped with kubesmith: <package root>/pki/profiles.yaml. */
export const CATALOGUE_PATH = fileURLToPath(new URL('../../pki/profiles.yaml', import.meta.url));

/** Loads and validates the catalogue (PkiError listing every problem by line). */
export function loadCatalogue(path: string = CATALOGUE_PATH): PkiCatalogue {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StateError(`${path}: cannot read the certificate catalogue (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: 'reinstall kubesmith: pki/profiles.yaml ships with it',
      cause: err,
    });
  }
  return parseCatalogue(text, path);
}
