/**
 * Builds an offline bundle in the official release layout from the binaries this machine has:
 * - etcd-vX.Y.Z-linux-amd64.tar.gz from Debian's real etcd/etcdctl (version read from `etcd --version`),
 *   with an etcd-style SHA256SUMS; or `etcdTarball`, a tarball in that layout made elsewhere (its
 *   version is read from its own etcd, not trusted from the name);
 * - containerd-X-linux-amd64.tar.gz (bin/containerd, containerd-shim-runc-v2, ctr) from
 *   `containerdDir` (default Debian bookworm's 1.6 in /usr/bin; containerd-bin.ts names sid's 2.1),
 *   runc.amd64 and cni-plugins-linux-amd64-vX.tgz (./bridge ...) from Debian's packages, with
 *   upstream-style .sha256sum/.sha256 files. These are real and must start on the test hosts.
 * - kubernetes-server-linux-amd64.tar.gz with a .sha512: there is no kube-apiserver (or kubelet,
 *   kube-proxy, ...) binary in any registry reachable here, so these are STUB SCRIPTS that only
 *   exercise file placement and unit verification; they exit 1 and say so. Set
 *   KUBESMITH_E2E_K8S_BUNDLE to a real kubernetes-server tarball to use real binaries instead.
 * `padBytes` appends incompressible bytes after each stub's `exit` (only the `padOnly` ones when
 * given): a big "binary" for interrupted-upload tests and the bench.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ETCD_BIN, ETCDCTL_BIN, ETCDUTL_BIN } from './etcd-bin.js';

/** What buildTestBundle produced. */
export interface TestBundle {
  readonly dir: string;
  readonly etcdVersion: string;
  readonly containerdVersion: string;
  readonly cniVersion: string;
  /** True when the kubernetes tarball holds real binaries (KUBESMITH_E2E_K8S_BUNDLE). */
  readonly realKubernetes: boolean;
}

/** The stubbed Kubernetes binaries (names under kubernetes/server/bin/). */
export const KUBE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'] as const;

const sh = (cmd: string, args: readonly string[], cwd?: string): string => execFileSync(cmd, args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });

/** sha256 hex of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

function shaSync(path: string, alg: 'sha256' | 'sha512'): string {
  return sh(`${alg}sum`, [path]).split(/\s+/)[0] ?? '';
}

/** Version "X.Y.Z" from a tool's --version output. */
function versionOf(text: string): string {
  const m = /(\d+\.\d+\.\d+)/.exec(text);
  if (!m?.[1]) throw new Error(`test bundle: no version in: ${text}`);
  return m[1];
}

/** The etcd-vX.Y.Z-linux-amd64.tar.gz in `dir` for an etcd tarball made elsewhere; its version comes from its etcd. */
function copyEtcdTarball(tarball: string, dir: string, work: string): string {
  sh('tar', ['-xzf', tarball, '-C', work, '--wildcards', '*/etcd']);
  const top = sh('tar', ['-tzf', tarball]).split('\n')[0]?.replace(/\/.*$/, '') ?? '';
  const version = `v${versionOf(sh(join(work, top, 'etcd'), ['--version']))}`;
  const name = `etcd-${version}-linux-amd64`;
  if (top !== name) throw new Error(`test bundle: ${tarball} holds ${top}/, but its etcd reports ${version} (expected ${name}/)`);
  copyFileSync(tarball, join(dir, `${name}.tar.gz`));
  return version;
}

/** Builds the bundle into `dir` (created). */
export function buildTestBundle(
  dir: string,
  opts: { padBytes?: number; padOnly?: readonly string[]; kubeTarball?: string; etcdTarball?: string; containerdDir?: string } = {},
): TestBundle {
  mkdirSync(dir, { recursive: true });
  const work = join(dir, '.work');
  mkdirSync(work, { recursive: true });
  const tar = (out: string, cwd: string, members: readonly string[]): void =>
    void sh('tar', ['-czf', join(dir, out), '--owner=0', '--group=0', '--numeric-owner', ...members], cwd);

  const etcdVersion = opts.etcdTarball ? copyEtcdTarball(opts.etcdTarball, dir, work) : `v${versionOf(sh(ETCD_BIN, ['--version']))}`;
  const etcdDir = `etcd-${etcdVersion}-linux-amd64`;
  if (!opts.etcdTarball) {
    mkdirSync(join(work, etcdDir), { recursive: true });
    for (const b of [ETCD_BIN, ETCDCTL_BIN, ...(ETCDUTL_BIN ? [ETCDUTL_BIN] : [])]) copyFileSync(b, join(work, etcdDir, b.slice(b.lastIndexOf('/') + 1)));
    tar(`${etcdDir}.tar.gz`, work, [etcdDir]);
  }
  writeFileSync(join(dir, 'SHA256SUMS'), `${shaSync(join(dir, `${etcdDir}.tar.gz`), 'sha256')}  ${etcdDir}.tar.gz\n`);

  const ctdDir = opts.containerdDir ?? '/usr/bin';
  const containerdVersion = versionOf(sh(`${ctdDir}/containerd`, ['--version']));
  mkdirSync(join(work, 'bin'), { recursive: true });
  for (const b of ['containerd', 'containerd-shim-runc-v2', 'ctr']) copyFileSync(`${ctdDir}/${b}`, join(work, 'bin', b));
  const ctd = `containerd-${containerdVersion}-linux-amd64.tar.gz`;
  tar(ctd, work, ['bin']);
  writeFileSync(join(dir, `${ctd}.sha256sum`), `${shaSync(join(dir, ctd), 'sha256')}  ${ctd}\n`);

  copyFileSync('/usr/sbin/runc', join(dir, 'runc.amd64'));
  writeFileSync(join(dir, 'runc.sha256sum'), `${shaSync(join(dir, 'runc.amd64'), 'sha256')}  runc.amd64\n`);

  const cniVersion = `v${versionOf(sh('dpkg-query', ['-W', '-f=${Version}', 'containernetworking-plugins']))}`;
  const cniDir = join(work, 'cni');
  mkdirSync(cniDir, { recursive: true });
  for (const p of ['bridge', 'host-local', 'loopback', 'portmap']) copyFileSync(`/usr/lib/cni/${p}`, join(cniDir, p));
  const cni = `cni-plugins-linux-amd64-${cniVersion}.tgz`;
  sh('tar', ['-czf', join(dir, cni), '--owner=0', '--group=0', '--numeric-owner', './bridge', './host-local', './loopback', './portmap'], cniDir);
  writeFileSync(join(dir, `${cni}.sha256`), `${shaSync(join(dir, cni), 'sha256')}  ${cni}\n`);

  const k8s = 'kubernetes-server-linux-amd64.tar.gz';
  if (opts.kubeTarball) copyFileSync(opts.kubeTarball, join(dir, k8s));
  else {
    const bin = join(work, 'kubernetes/server/bin');
    mkdirSync(bin, { recursive: true });
    for (const name of KUBE_BINARIES) {
      const f = join(bin, name);
      writeFileSync(
        f,
        `#!/bin/sh\n# kubesmith TEST STUB for ${name}: no real Kubernetes binary is available here.\n` +
          `# It only exercises file placement and unit verification.\necho "kubesmith test stub: ${name} is not a real binary" >&2\nexit 1\n`,
      );
      if (opts.padBytes && (opts.padOnly === undefined || opts.padOnly.includes(name))) sh('sh', ['-c', `head -c ${opts.padBytes} /dev/urandom >> "$0"`, f]);
      chmodSync(f, 0o755);
    }
    sh('sh', ['-c', `tar -cf - --owner=0 --group=0 --numeric-owner kubernetes | gzip -1 > "$0"`, join(dir, k8s)], work);
  }
  // Kubernetes publishes a bare-digest .sha512 per artifact on dl.k8s.io.
  writeFileSync(join(dir, `${k8s}.sha512`), `${shaSync(join(dir, k8s), 'sha512')}\n`);
  sh('rm', ['-rf', work]);
  return { dir, etcdVersion, containerdVersion, cniVersion, realKubernetes: opts.kubeTarball !== undefined };
}

/** Corrupts one byte in the middle of a bundle file (for checksum-mismatch tests). */
export function corruptFile(path: string): void {
  const b = readFileSync(path);
  const i = Math.floor(b.length / 2);
  b[i] = (b[i] ?? 0) ^ 0xff;
  writeFileSync(path, b);
}

