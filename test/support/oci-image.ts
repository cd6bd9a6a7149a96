/**
 * Container images for the real-Kubernetes e2e, made here without a registry (test-hosts.md): an
 * OCI image-layout tarball (one gzip layer, config with rootfs.diff_ids, manifest, index.json with
 * the `io.containerd.image.name` annotation, oci-layout) that `ctr images import` accepts.
 * - pause: a few lines of C of our own that block on pause() and reap children, `gcc -static`;
 * - busybox: Debian's busybox-static with the applets the e2e pods use (sh, sleep, httpd, wget, ...).
 * Deterministic: same inputs, same bytes (sorted tar, zero mtimes, gzip -n).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const run = (cmd: string, args: readonly string[], cwd?: string): Buffer => execFileSync(cmd, args, { ...(cwd ? { cwd } : {}), maxBuffer: 1 << 30 });

const PAUSE_C = `#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
static void stop(int s) { (void)s; _exit(0); }
int main(void) { signal(SIGCHLD, reap); signal(SIGINT, stop); signal(SIGTERM, stop); for (;;) pause(); }
`;

const BUSYBOX_APPLETS = ['sh', 'sleep', 'httpd', 'wget', 'cat', 'echo', 'hostname', 'ip', 'ls', 'nc', 'ping', 'true', 'nslookup', 'env', 'mkdir'];

/** Why images cannot be built here, or undefined when gcc (static libc) and busybox-static exist. */
export function ociToolsMissing(): string | undefined {
  if (!existsSync('/usr/bin/gcc')) return 'gcc is not installed (apt-get install gcc libc6-dev)';
  if (!existsSync('/bin/busybox') && !existsSync('/usr/bin/busybox')) return 'busybox-static is not installed (apt-get install busybox-static)';
  return undefined;
}

/** Writes `<outDir>/<file>` as an OCI archive named `image` whose root filesystem is `rootfs`. */
export function ociArchive(rootfs: string, image: string, entrypoint: readonly string[], outFile: string): void {
  const work = mkdtempSync(join(tmpdir(), 'kubesmith-oci-'));
  try {
    const layerTar = run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', rootfs, '-cf', '-', '.']);
    const gz = execFileSync('gzip', ['-n', '-c'], { input: layerTar, maxBuffer: 1 << 30 });
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: entrypoint, Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layerTar)}`] },
    }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(gz)}`, size: gz.length }],
    }));
    const blobs = join(work, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    for (const b of [gz, config, manifest]) writeFileSync(join(blobs, sha(b)), b);
    const tag = image.slice(image.lastIndexOf(':') + 1);
    writeFileSync(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(work, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${sha(manifest)}`,
        size: manifest.length,
        annotations: { 'io.containerd.image.name': image, 'org.opencontainers.image.ref.name': tag },
      }],
    }));
    run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', work, '-cf', outFile, 'oci-layout', 'index.json', 'blobs']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The pause image `image` (e.g. "registry.k8s.io/pause:3.10") as an OCI archive at `outFile`. */
export function buildPauseImage(image: string, outFile: string): void {
  const root = mkdtempSync(join(tmpdir(), 'kubesmith-pause-'));
  try {
    writeFileSync(join(root, 'pause.c'), PAUSE_C);
    mkdirSync(join(root, 'fs'));
    run('gcc', ['-Os', '-static', '-s', '-o', join(root, 'fs', 'pause'), join(root, 'pause.c')]);
    ociArchive(join(root, 'fs'), image, ['/pause'], outFile);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A busybox image `image` with a few applets, as an OCI archive at `outFile`. */
export function buildBusyboxImage(image: string, outFile: string): void {
  const root = mkdtempSync(join(tmpdir(), 'kubesmith-busybox-'));
  try {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    copyFileSync(existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox', join(bin, 'busybox'));
    chmodSync(join(bin, 'busybox'), 0o755);
    for (const a of BUSYBOX_APPLETS) symlinkSync('busybox', join(bin, a));
    for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev', 'www']) mkdirSync(join(root, d));
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    ociArchive(root, image, ['/bin/sh'], outFile);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** sha256 of a file (for SHA256SUMS lines). */
export function fileSha256Sync(path: string): string {
  return sha(readFileSync(path));
}
