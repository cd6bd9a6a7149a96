// One JavaScript file from src/cli/main.ts and every runtime dependency, with esbuild.
//
// - CommonJS, for both artifacts: `kubesmith.cjs` (Node >= 20 runs it directly) and the single
//   executable (Node 20's SEA runs one CommonJS script and can load no module from disk). An ESM
//   bundle (.mjs) worked too but started 3-10 % slower than the npm layout, the CommonJS one as
//   fast or faster (bench/dist-startup, README): Node 20's ES module loader costs more than its
//   CommonJS loader for one large file.
// - src/ is ESM and uses import.meta.url (src/state/assets.ts): defined here as the URL of the
//   file that holds the code, the bundle itself or, in the executable, the executable.
// - ssh2 tries, each inside try/catch, its optional native addon (sshcrypto.node, built by its
//   install script) and the cpu-features package (native too). A single file cannot carry native
//   code, so both resolve to a module that throws MODULE_NOT_FOUND: ssh2 takes its pure-JavaScript
//   path on every machine, whatever node_modules happen to lie around the artifact. kubesmith
//   pins AES-GCM first (src/deploy/ssh/dial.ts), which runs in Node's OpenSSL either way. Any
//   other native or optional require fails the build, so a new one cannot vanish silently.
// - The output is deterministic: no timestamps, paths relative to the repository.
import { builtinModules } from 'node:module';
import * as esbuild from 'esbuild';

/** Optional native requires the bundle leaves out, with the only file allowed to make each. */
const ABSENT = new Map([
  ['cpu-features', 'node_modules/ssh2/lib/protocol/constants.js'],
  ['./crypto/build/Release/sshcrypto.node', 'node_modules/ssh2/lib/protocol/crypto.js'],
]);

/**
 * The bundle's own URL, for import.meta.url. The executable also defines __filename and
 * __dirname: Node 20's SEA runs its script without them, and ssh2's agent.js reads __dirname when
 * it loads (a Windows helper it never runs here); without it every command that loads ssh2
 * failed with "__dirname is not defined" (found by test/hosts/offline-bastion.test.ts).
 * "use strict" first: src/ is ES modules (always strict), and esbuild's own directive comes after
 * the banner, where it would be an ordinary string and the whole file sloppy.
 */
const FILE_BANNER = ['"use strict";', "var __kubesmithSelfUrl = require('node:url').pathToFileURL(__filename).href;"].join('\n');
const SEA_BANNER = [
  '"use strict";',
  'var __filename = process.execPath;',
  "var __dirname = require('node:path').dirname(process.execPath);",
  "var __kubesmithSelfUrl = require('node:url').pathToFileURL(process.execPath).href;",
].join('\n');

/** esbuild plugin: the ABSENT requires become a module that throws; any other .node fails the build. */
function leaveOutNative(root) {
  return {
    name: 'kubesmith-leave-out-native',
    setup(build) {
      build.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => {
        const importer = args.importer.startsWith(root) ? args.importer.slice(root.length + 1) : args.importer;
        if (ABSENT.get(args.path) !== importer) {
          return { errors: [{ text: `${importer} requires native module ${args.path}: a single-file bundle cannot carry it; decide how kubesmith does without it (scripts/dist/bundle.mjs ABSENT)` }] };
        }
        return { path: args.path, namespace: 'kubesmith-absent' };
      });
      build.onLoad({ filter: /.*/, namespace: 'kubesmith-absent' }, (args) => ({
        loader: 'js',
        contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}' (left out of the kubesmith bundle: optional native code)`)}), { code: 'MODULE_NOT_FOUND' });\n`,
      }));
    },
  };
}

/**
 * Bundles kubesmith. `build` goes into the code as KUBESMITH_BUILD (src/state/assets.ts).
 * Returns the file's bytes and esbuild's metafile (which inputs went in, for the licenses).
 */
export async function bundle(root, build) {
  const sea = build.layout === 'sea';
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    write: false,
    outfile: 'kubesmith.cjs',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    charset: 'utf8',
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    define: {
      KUBESMITH_BUILD: JSON.stringify(build),
      // assets.ts then finds units/ etc. beside the file that holds the code.
      'import.meta.url': '__kubesmithSelfUrl',
    },
    banner: { js: sea ? SEA_BANNER : FILE_BANNER },
    plugins: [leaveOutNative(root)],
  });
  const [out] = result.outputFiles;
  checkExternals(result.metafile);
  return { code: Buffer.from(out.contents), metafile: result.metafile };
}

/** Everything left outside the bundle must be a Node built-in: the bastion has no node_modules. */
function checkExternals(metafile) {
  const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const outside = Object.values(metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.external && !builtin.has(i.path))
    .map((i) => i.path);
  if (outside.length > 0) throw new Error(`bundle: imports left outside the bundle that are not Node built-ins: ${[...new Set(outside)].join(', ')}`);
}
