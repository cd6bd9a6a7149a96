/** Reads the shipped certificate catalogue, pki/profiles.yaml (found through assets.ts in every layout). */
import { readFileSync } from 'node:fs';
import { parseCatalogue } from '../pki/profiles.js';
import type { PkiCatalogue } from '../pki/profile-types.js';
import { StateError } from '../shared/errors.js';
import { assetPath } from './assets.js';

/** Path of the catalogue shipped with kubesmith: pki/profiles.yaml under the asset root (assets.ts). */
export const CATALOGUE_PATH = assetPath('pki', 'profiles.yaml');

/** Loads and validates the catalogue (PkiError listing every problem by line). */
export function loadCatalogue(path: string = CATALOGUE_PATH): PkiCatalogue {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StateError(`${path}: cannot read the certificate catalogue (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: 'reinstall kubesmith or unpack its release artifact again: pki/profiles.yaml ships with it',
      cause: err,
    });
  }
  return parseCatalogue(text, path);
}
