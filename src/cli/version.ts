/**
 * The tool version and the Node.js range it needs: recorded in the bundle by the release build,
 * else read once from package.json at the asset root (the npm/tsc layout ships it beside dist/).
 */
import { readFileSync } from 'node:fs';
import { assetPath, BUILD } from '../state/assets.js';

const pkg: { readonly version: string; readonly node: string } =
  BUILD ?? (() => {
    const json = JSON.parse(readFileSync(assetPath('package.json'), 'utf8')) as { version: string; engines?: { node?: string } };
    return { version: json.version, node: json.engines?.node ?? '' };
  })();

export const VERSION: string = pkg.version;

/** The Node.js versions this build runs on (package.json "engines.node"). */
export const NODE_RANGE: string = pkg.node;
