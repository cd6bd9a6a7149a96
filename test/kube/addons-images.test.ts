/**
 * The image import's commands (imagesArgv `check` / `import`) run against a REAL containerd (Debian's
 * 1.6, a private instance on its own socket and root, CRI plugin off): OCI image-layout tarballs
 * built here (gzip layer, config with rootfs.diff_ids, manifest, index.json with the
 * io.containerd.image.name annotation) are absent, only the missing one is imported into k8s.io with
 * --snapshotter native, then all are present and unpacked for that snapshotter; importing again
 * does nothing (idempotent). Only ctr's path, the socket and the tarball's location are
 * swapped for this machine's. Needs root (containerd); skipped with the reason otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageImportSteps, imagesArgv, type ImageImportStep } from '../../src/kube/addons.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { buildBusyboxImage, buildPauseImage, ociArchive, ociToolsMissing } from '../support/oci-image.js';

const CTR = '/usr/bin/ctr';
const root = process.getuid?.() === 0;
const have = existsSync('/usr/bin/containerd') && existsSync(CTR);
const reason = !have ? 'containerd/ctr not installed (apt-get install containerd)' : !root ? 'containerd needs root' : '';
if (reason && process.env.CI === 'true') throw new Error(`real containerd image import test cannot run in CI: ${reason}`);
if (reason) console.warn(`skipping the real containerd image import test: ${reason}`);

/** Writes a one-layer OCI image-layout tarball named `image` (one file, hello.txt) to `file`. */
function ociTarball(dir: string, image: string, file: string): void {
  const rootfs = join(dir, 'build', 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  writeFileSync(join(rootfs, 'hello.txt'), 'generated for testing purposes only\n');
  ociArchive(rootfs, image, ['/hello.txt'], file);
}

let dir = '';
let sock = '';
let containerd: ChildProcess | undefined;
let log = '';

/** The step's argv with this machine's ctr, socket and tarball location. */
function local(argv: readonly string[], files: ReadonlyMap<string, string>): string[] {
  return argv.map((a) => (a === '/usr/local/bin/ctr' ? CTR : a === '/run/containerd/containerd.sock' ? sock : files.get(a) ?? a));
}

function run(argv: readonly string[]): { code: number; out: string; err: string } {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? 'false', args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 128, out: r.stdout, err: r.stderr };
}

describe.skipIf(reason !== '')('image import steps against a real containerd', () => {
  beforeAll(async () => {
    dir = mkdtempSync('/tmp/ks-ctr-'); // short: the socket path must fit sun_path (108 bytes)
    sock = join(dir, 'c.sock');
    writeFileSync(join(dir, 'config.toml'), [
      'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]', '[grpc]', `  address = "${sock}"`,
    ].join('\n'));
    containerd = spawn('/usr/bin/containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    containerd.stderr?.on('data', (b: Buffer) => void (log = `${log}${b.toString()}`.slice(-8000)));
    const deadline = Date.now() + 20_000;
    while (run([CTR, '--address', sock, 'version']).code !== 0) {
      if (Date.now() > deadline) throw new Error(`containerd did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 30_000);

  afterAll(async () => {
    if (!containerd) return;
    const gone = new Promise((r) => containerd?.once('exit', r));
    containerd.kill('SIGTERM');
    await gone;
    spawnSync('rm', ['-rf', dir]);
  });

  it('absent: check fails and import imports only what containerd lacks, unpacked for the native snapshotter; then check passes and a second import does nothing', () => {
    const inv = exampleInventory();
    const node01 = inv.hosts.find((h) => h.name === 'node01')!;
    const native = { ...inv, containerd: { ...inv.containerd, snapshotter: 'native' as const } };
    const steps = imageImportSteps({ inventory: native }, node01).filter((s) => s.image.includes('/coredns') || s.image.includes('/pause'));
    expect(steps).toHaveLength(2);
    const files = new Map(steps.map((s) => [s.remotePath, join(dir, s.source.bundleFile)] as const));
    for (const s of steps) ociTarball(dir, s.image, files.get(s.remotePath)!);
    const [first, second] = steps as [ImageImportStep, ImageImportStep];
    const ls = (): string[] => run([CTR, '--address', sock, '-n', 'k8s.io', 'images', 'ls', '-q']).out.trim().split('\n').filter(Boolean).sort();

    expect(run(local(imagesArgv(native, steps, 'check'), files)).code).toBe(1); // absent: the import step runs
    const one = run(local(imagesArgv(native, [first], 'import'), files)); // containerd gets one of the two by other means
    expect(one.code, `${one.err}\n${log}`).toBe(0);
    expect(run(local(imagesArgv(native, steps, 'check'), files)).code).toBe(1); // one still missing
    const rest = run(local(imagesArgv(native, steps, 'import'), files));
    expect(rest.code, `${rest.err}\n${log}`).toBe(0);
    expect(rest.err).toBe(`importing ${second.image} from ${files.get(second.remotePath)}\n`); // only the missing one
    expect(ls()).toEqual([first.image, second.image].sort());
    expect(run(local(imagesArgv(native, steps, 'check'), files)).code).toBe(0); // present: the step is unchanged next time
    const snaps = run([CTR, '--address', sock, '-n', 'k8s.io', 'snapshots', '--snapshotter', 'native', 'ls']);
    expect(snaps.out.split('\n').filter((l) => l.startsWith('sha256:')).length).toBeGreaterThan(0); // unpacked where the CRI will look
    const again = run(local(imagesArgv(native, steps, 'import'), files));
    expect(again, again.err).toMatchObject({ code: 0, err: '' });
    expect(ls()).toEqual([first.image, second.image].sort());
  }, 60_000);

  it.skipIf(ociToolsMissing() !== undefined)('the e2e pause and busybox images (built here from C and busybox-static) import and run', () => {
    const ctr = [CTR, '--address', sock, '-n', 'e2e'];
    buildPauseImage('registry.k8s.io/pause:3.10', join(dir, 'pause.tar'));
    buildBusyboxImage('kubesmith.test/busybox:e2e', join(dir, 'busybox.tar'));
    for (const f of ['pause.tar', 'busybox.tar']) expect(run([...ctr, 'images', 'import', '--snapshotter', 'native', join(dir, f)]).code).toBe(0);
    expect(run([...ctr, 'images', 'ls', '-q']).out.trim().split('\n').sort()).toEqual(['kubesmith.test/busybox:e2e', 'registry.k8s.io/pause:3.10']);
    // Built twice, the same bytes: the bundle's SHA256SUMS stays stable across test runs.
    const again = join(dir, 'pause2.tar');
    buildPauseImage('registry.k8s.io/pause:3.10', again);
    expect(readFileSync(again).equals(readFileSync(join(dir, 'pause.tar')))).toBe(true);
    const echo = run([...ctr, 'run', '--rm', '--snapshotter', 'native', 'kubesmith.test/busybox:e2e', 'bb1', '/bin/sh', '-c', 'echo hello from $(hostname)']);
    expect(echo.out, echo.err).toContain('hello from');
  }, 120_000);
});
