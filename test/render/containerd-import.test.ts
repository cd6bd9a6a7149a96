/**
 * The image import apply runs on every node (`ctr images import --snapshotter <CRI snapshotter>`,
 * src/kube/addons.ts) against a real containerd 2.1 daemon started with the config kubesmith
 * renders for it. From 2.0, ctr imports through the transfer service, which unpacks only into the
 * snapshotters its unpack_config lists (containerd's default: overlayfs alone); with the `native`
 * snapshotter that nodes which are containers need, the import failed with "unable to initialize
 * unpacker: no unpack platforms defined" (found by the real-Kubernetes e2e on containerd 2.1.9).
 *
 * The daemon is Debian sid's containerd 2.1.9 (.ci/run unpacks it); it runs as root with its root,
 * state and socket in a temporary directory (only those three paths of the rendered config change).
 * The image is a one-file OCI archive made by test/support/oci-image.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageImportSteps, imagesArgv } from '../../src/kube/addons.js';
import { ociArchive, ociToolsMissing } from '../support/oci-image.js';
import { CONTAINERD2_BIN, HAS_CONTAINERD2, inventoryWith, renderConfig } from './support/containerd.js';

const CTR = CONTAINERD2_BIN.replace(/containerd$/, 'ctr');
const skip = !HAS_CONTAINERD2
  ? `${CONTAINERD2_BIN} is absent (.ci/run unpacks Debian sid's containerd there)`
  : process.getuid?.() !== 0
    ? 'containerd needs root'
    : (ociToolsMissing() ?? '');
if (skip) console.warn(`skipping the containerd 2.x import test: ${skip}`);

const IMAGE = 'registry.k8s.io/pause:3.10';
const run = promisify(execFile);

describe.skipIf(skip !== '')('image import into a containerd 2.1 daemon running the rendered config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-ctd-import-'));
  const socket = join(dir, 'containerd.sock');
  let daemon: ChildProcess | undefined;
  let log = '';
  const inv = inventoryWith('v2.1.9', { snapshotter: 'native', sandboxImage: IMAGE });
  const step = imageImportSteps({ inventory: inv }, inv.hosts.find((h) => h.roles.includes('worker'))!)[0]!;
  /** The product's argv with the daemon's socket and this machine's ctr; the archive path is the step's own. */
  const local = (argv: readonly string[]): string[] => argv.map((a) => (a.endsWith('/ctr') ? CTR : a === '/run/containerd/containerd.sock' ? socket : a));

  beforeAll(async () => {
    const config = renderConfig(inv)
      .replace('root = "/var/lib/containerd"', `root = ${JSON.stringify(join(dir, 'root'))}`)
      .replace('state = "/run/containerd"', `state = ${JSON.stringify(join(dir, 'state'))}`)
      .replace('address = "/run/containerd/containerd.sock"', `address = ${JSON.stringify(socket)}`);
    expect(config).toContain(socket);
    writeFileSync(join(dir, 'config.toml'), config);
    mkdirSync(join(dir, 'fs'));
    writeFileSync(join(dir, 'fs', 'pause'), '#!/bin/sh\n');
    // The step imports from its remote path: put the archive there, under the temporary directory.
    const archive = join(dir, step.remotePath);
    mkdirSync(join(archive, '..'), { recursive: true });
    ociArchive(join(dir, 'fs'), IMAGE, ['/pause'], archive);
    daemon = spawn(CONTAINERD2_BIN, ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stderr?.on('data', (b: Buffer) => void (log += b.toString()));
    for (let i = 0; i < 100 && !existsSync(socket); i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(socket), `containerd did not listen on ${socket}:\n${log.slice(-2000)}`).toBe(true);
  }, 60_000);

  afterAll(async () => {
    if (daemon?.pid !== undefined && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon?.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports and unpacks the image for the native snapshotter with the step apply runs', async () => {
    const argv = local(imagesArgv(inv, [step], 'import')).map((a) => (a === step.remotePath ? join(dir, step.remotePath) : a));
    expect(argv[7]).toBe('native');
    const r = await run(argv[0]!, argv.slice(1), { encoding: 'utf8' }).catch((e: { stderr?: string; message: string }) => ({ stdout: '', stderr: e.stderr ?? e.message, failed: true }));
    expect('failed' in r ? r.stderr : '', 'import').toBe('');
    expect(r.stderr).toBe(`importing ${step.image} from ${join(dir, step.remotePath)}\n`);
    // The step's own "already present" probe now says present, and a native snapshot exists.
    const present = local(imagesArgv(inv, [step], 'check'));
    await expect(run(present[0]!, present.slice(1))).resolves.toBeDefined();
    const snaps = await run(CTR, ['--address', socket, '-n', 'k8s.io', 'snapshots', '--snapshotter', 'native', 'ls'], { encoding: 'utf8' });
    expect(snaps.stdout.trim().split('\n').slice(1).filter((l) => l.includes('Committed'))).toHaveLength(1);
  }, 60_000);
});
