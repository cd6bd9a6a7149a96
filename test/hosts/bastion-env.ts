/**
 * An air-gapped bastion among the test hosts, for the offline-artifact proof (issue #11):
 * - it boots from the machine's root like every test host, but without what would make "no npm,
 *   no node_modules" untrue: npm, npx, corepack and /usr/lib/node_modules, the kubesmith
 *   checkout the tests run from (and those under /work), npm's cache, every node_modules of the
 *   machine's root file system and the test-only etcd are whiteouts in its overlay
 *   (test-hosts-hide.ts). Node itself stays (/usr/bin/node, the machine's Node 20): kubesmith.cjs
 *   needs a Node; the single executable is run after /usr/bin/node is made unusable too.
 * - its default route is deleted after boot: it reaches the other test hosts on their link and
 *   nothing else.
 * - into it go only the release tarballs with their SHA256SUMS, and what an operator brings for
 *   the cluster: the inventory, the offline bundle of release binaries, the SSH key and known_hosts.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostTestContainerdDir } from '../support/containerd-bin.js';
import { buildDist, type DistBuild } from '../support/dist-artifact.js';
import { buildTestBundle, type TestBundle } from '../support/test-bundle.js';
import { bootHosts, type TestHost, type TestHostGroup } from '../support/test-hosts.js';
import { type LocalResult, run } from '../support/test-hosts-shell.js';

/** What the bastion must not have (paths inside it). */
export const HIDDEN_ON_BASTION = ['/usr/bin/npm', '/usr/bin/npx', '/usr/bin/corepack', '/usr/lib/node_modules', '/work', '/root/.npm', '/opt/kubesmith-test'];
/** Where the operator's files go on the bastion. */
export const OFFLINE = '/root/offline';
/** The only environment kubesmith gets there: no npm, no NODE_PATH, nothing of the test machine's. */
export const CLEAN_ENV = 'env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root NO_COLOR=1 CI=1';

/** The booted bastion and targets. */
export interface BastionEnv {
  readonly group: TestHostGroup;
  readonly bastion: TestHost;
  readonly targets: readonly TestHost[];
  readonly dist: DistBuild;
  readonly bundle: TestBundle;
  /** Runs a shell command on the bastion in OFFLINE, with CLEAN_ENV. */
  sh(command: string, timeoutMs?: number): Promise<LocalResult>;
  close(): Promise<void>;
}

/**
 * HIDDEN_ON_BASTION plus what this machine has that the fixed list cannot know: the checkout the
 * tests run from (CI clones it anywhere, e.g. /check/work/main), npm's global root, and every
 * node_modules directory on the root file system (the overlay's lower layer; other mounts do not
 * show through it).
 */
async function hiddenOnBastion(): Promise<string[]> {
  const checkout = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const npmRoot = await run('npm', ['root', '-g']);
  const found = await run('find', ['/', '-xdev', '-name', 'node_modules', '-prune', '-print'], { timeoutMs: 120_000 });
  const paths = [...HIDDEN_ON_BASTION, checkout, ...(npmRoot.code === 0 ? [npmRoot.stdout.trim()] : []), ...found.stdout.split('\n')];
  const usable = paths.filter((p) => p.startsWith('/') && p !== '/' && !p.split('/').includes('..'));
  // A path below one already hidden needs no whiteout of its own (and could not get one).
  return [...new Set(usable)].sort().filter((p, i, all) => !all.slice(0, i).some((q) => p.startsWith(`${q}/`)));
}

/** Boots `bastion` + `targets`, builds the artifacts (with the single executable) and copies them in. */
export async function setupBastion(targets: readonly { name: string; roles: readonly string[] }[]): Promise<BastionEnv> {
  const work = mkdtempSync(join(tmpdir(), 'ks-bastion-'));
  const names = ['bastion', ...targets.map((t) => t.name)];
  // The artifacts build while the hosts boot; the Kubernetes bundle is the apply tests' (test-bundle.ts).
  const [dist, group] = await Promise.all([
    buildDist(join(work, 'release'), { sea: true }),
    bootHosts({ count: names.length, names, hide: { bastion: await hiddenOnBastion() }, timeoutMs: 120_000 }),
  ]);
  const bundle = buildTestBundle(join(work, 'bundle'), { containerdDir: hostTestContainerdDir() });
  const bastion = group.host('bastion');
  const into = (p: string): string => bastion.path(join(OFFLINE, p));
  mkdirSync(into('.'), { recursive: true, mode: 0o700 });
  for (const f of [dist.tarball, dist.seaTarball ?? '', join(dist.outDir, 'SHA256SUMS')]) copyFileSync(f, into(basename(f)));
  cpSync(bundle.dir, into('bundle'), { recursive: true });
  copyFileSync(group.keyFile, into('id_ed25519'));
  copyFileSync(group.knownHostsFile, into('known_hosts'));
  writeFileSync(into('inventory.yaml'), inventory(group, targets, bundle));
  return {
    group,
    bastion,
    targets: targets.map((t) => group.host(t.name)),
    dist,
    bundle,
    sh: (command, timeoutMs = 300_000) => bastion.ssh(`cd ${OFFLINE} && ${command}`, { timeoutMs }),
    close: async () => {
      await group.shutdown();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The inventory as the operator writes it on the bastion (paths are the bastion's). */
function inventory(group: TestHostGroup, targets: readonly { name: string; roles: readonly string[] }[], bundle: TestBundle): string {
  return [
    'apiVersion: kubesmith/v1alpha1',
    'cluster:',
    '  name: airgap',
    '  kubernetesVersion: v1.31.2',
    `  etcdVersion: ${bundle.etcdVersion}`,
    'ssh:',
    '  user: root',
    `  identityFile: ${OFFLINE}/id_ed25519`,
    `  knownHostsFile: ${OFFLINE}/known_hosts`,
    '  agent: false',
    'bundle:',
    `  dir: ${OFFLINE}/bundle`,
    '# nspawn hosts are containers on an overlay root (test-hosts.md)',
    'containerd:',
    '  snapshotter: native',
    '  noNewKeyring: true',
    '  restrictOomScoreAdj: true',
    'hosts:',
    ...targets.map((t) => `  - { name: ${t.name}, address: ${group.host(t.name).ip}, roles: [${t.roles.join(', ')}] }`),
    '',
  ].join('\n');
}
