/**
 * `kubesmith bundle check` against a real bundle built by test/support/test-bundle.ts (Debian's
 * real etcd/containerd/runc/CNI binaries in upstream's release layout, stub Kubernetes binaries):
 * each case is a workspace whose bundle links to the template's files, and the file a case damages
 * is a private copy. Every case also proves the command wrote nothing (tree snapshot before/after
 * over the whole workspace, the template bundle included).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BundleCheckReport } from '../../src/state/bundle-check.js';
import { runCliCaptured } from '../support/cli-run.js';
import { buildTestBundle, corruptFile, type TestBundle } from '../support/test-bundle.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
let template = '';
let built: TestBundle;

beforeAll(() => {
  template = mkdtempSync(join(tmpdir(), 'kubesmith-bundle-check-template-'));
  built = buildTestBundle(join(template, 'bundle'));
}, 120_000);

interface Workspace {
  readonly cwd: string;
  readonly bundle: string;
  /** Replaces the link to a template file by a private copy the case may change. */
  own(name: string): string;
  run(...extra: string[]): Promise<{ code: number; out: string; err: string; changes: string[] }>;
}

function workspace(inventoryEdits: (yaml: string) => string = (y) => y): Workspace {
  const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-bundle-check-'));
  const bundle = join(cwd, 'bundle');
  mkdirSync(bundle);
  for (const n of readdirSync(join(template, 'bundle'))) symlinkSync(join(template, 'bundle', n), join(bundle, n));
  // v1.35: the newest minor whose kubelet still runs on the test bundle's containerd (Debian's 1.x).
  const yaml = readFileSync(EXAMPLE, 'utf8').replace(/etcdVersion: v\S+/, `etcdVersion: ${built.etcdVersion}`).replace(/kubernetesVersion: v\S+/, 'kubernetesVersion: v1.35.6');
  writeFileSync(join(cwd, 'inventory.yaml'), inventoryEdits(yaml));
  return {
    cwd,
    bundle,
    own(name) {
      const p = join(bundle, name);
      rmSync(p);
      copyFileSync(join(template, 'bundle', name), p);
      return p;
    },
    async run(...extra) {
      const before = [snapshotTree(cwd), snapshotTree(template)] as const;
      const r = await runCliCaptured(['bundle', 'check', '-i', 'inventory.yaml', ...extra], { cwd, env: { NO_COLOR: '1' } });
      const changes = [...treeChanges(before[0], snapshotTree(cwd)), ...treeChanges(before[1], snapshotTree(template))];
      return { ...r, changes };
    },
  };
}

const statusOf = (report: BundleCheckReport, component: string): string[] => report.rows.filter((r) => r.component === component).map((r) => r.status);

describe('bundle check on a real test bundle', () => {
  it('passes a complete bundle, lists each file with the checksum file upstream publishes, writes nothing', async () => {
    const ws = workspace();
    const r = await ws.run('--json');
    expect(r.code, r.err).toBe(0);
    expect(r.changes).toEqual([]);
    const report = JSON.parse(r.out) as BundleCheckReport;
    const etcd = `etcd-${built.etcdVersion}-linux-amd64.tar.gz`;
    const ctd = `containerd-${built.containerdVersion}-linux-amd64.tar.gz`;
    const cni = `cni-plugins-linux-amd64-${built.cniVersion}.tgz`;
    expect(report.rows.filter((x) => x.component !== 'image').map((x) => [x.component, x.file, x.status, x.checksumFiles])).toEqual([
      ['etcd', etcd, 'ok', ['SHA256SUMS']],
      ['kubernetes', 'kubernetes-server-linux-amd64.tar.gz', 'ok', ['kubernetes-server-linux-amd64.tar.gz.sha512', 'kubernetes-server-linux-amd64.tar.gz.sha256']],
      ['containerd', ctd, 'ok', [`${ctd}.sha256sum`]],
      ['runc', 'runc.amd64', 'ok', ['runc.sha256sum']],
      ['cni-plugins', cni, 'ok', [`${cni}.sha256`, `${cni}.sha512`]],
    ]);
    // Stub kubelet: like apply, no image tarball is required (and none is in the test bundle).
    expect(statusOf(report, 'image').length).toBeGreaterThan(0);
    expect(new Set(statusOf(report, 'image'))).toEqual(new Set(['not needed']));
    expect(report.rows.find((x) => x.component === 'kubernetes')?.detail.join(' ')).toMatch(/version not checked: no kubernetes\/version/);
  });

  it('reports a missing file by name with its checksum file, exit 1, and ignores files it does not need', async () => {
    const ws = workspace();
    rmSync(join(ws.bundle, 'runc.amd64'));
    writeFileSync(join(ws.bundle, 'README.txt'), 'notes of the operator\n');
    writeFileSync(join(ws.bundle, 'crictl-v1.34.0-linux-amd64.tar.gz'), 'not needed\n');
    const r = await ws.run();
    expect(r.code).toBe(1);
    expect(r.changes).toEqual([]);
    expect(r.out).toMatch(/^runc\s+runc\.amd64\s+missing\s+runc\.sha256sum/m);
    expect(r.out).toMatch(/1 of \d+ files need attention:\n {2}runc\.amd64: missing: download runc\.amd64 and runc\.sha256sum/);
    expect(r.out).not.toMatch(/README|crictl/);
  });

  it('finds a corrupted tarball by its published checksum (streamed sha512 of the kubernetes tarball)', async () => {
    const ws = workspace();
    corruptFile(ws.own('kubernetes-server-linux-amd64.tar.gz'));
    const r = await ws.run('--json');
    expect(r.code).toBe(1);
    expect(r.changes.filter((c) => !c.endsWith('kubernetes-server-linux-amd64.tar.gz'))).toEqual([]);
    const row = (JSON.parse(r.out) as BundleCheckReport).rows.find((x) => x.component === 'kubernetes');
    expect(row?.status).toBe('checksum mismatch');
    expect(row?.detail[0]).toMatch(/^sha512 expected [0-9a-f]{128} \(from kubernetes-server-linux-amd64\.tar\.gz\.sha512\)$/);
  });

  it('reports a wrong checksum file entry and a file no checksum file covers', async () => {
    const ws = workspace();
    const ctd = `containerd-${built.containerdVersion}-linux-amd64.tar.gz`;
    rmSync(join(ws.bundle, `${ctd}.sha256sum`));
    writeFileSync(join(ws.bundle, `${ctd}.sha256sum`), `${'0'.repeat(64)}  ${ctd}\n`);
    const cni = `cni-plugins-linux-amd64-${built.cniVersion}.tgz`;
    rmSync(join(ws.bundle, `${cni}.sha256`));
    const report = JSON.parse((await ws.run('--json')).out) as BundleCheckReport;
    expect(statusOf(report, 'containerd')).toEqual(['checksum mismatch']);
    expect(statusOf(report, 'cni-plugins')).toEqual(['no checksum file']);
    expect(statusOf(report, 'etcd')).toEqual(['ok']);
  });

  it('names the version the bundle holds when it is not the inventory\'s (etcd by name, containerd by its pin)', async () => {
    const ws = workspace((y) => y.replace(/etcdVersion: v\S+/, 'etcdVersion: v3.6.11').replace('#   version: v2.3.0 ', '  version: v2.3.0 ').replace('# containerd:', 'containerd:'));
    const r = await ws.run();
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(new RegExp(`etcd\\s+etcd-v3\\.6\\.11-linux-amd64\\.tar\\.gz\\s+version mismatch.*the bundle has etcd-${built.etcdVersion.replace(/\./g, '\\.')}-linux-amd64\\.tar\\.gz`));
    expect(r.out).toMatch(new RegExp(`containerd\\s+containerd-${built.containerdVersion.replace(/\./g, '\\.')}-linux-amd64\\.tar\\.gz\\s+version mismatch\\s.*containerd\\.version is v2\\.3\\.0`));
  });
});

describe('bundle check: containerd against the Kubernetes version', () => {
  it('refuses the test bundle\'s containerd 1.x for Kubernetes v1.37 (the kubelet needs containerd 2), as validate does for a pin', async () => {
    const ws = workspace((y) => y.replace('kubernetesVersion: v1.35.6', 'kubernetesVersion: v1.37.2'));
    const report = JSON.parse((await ws.run('--json')).out) as BundleCheckReport;
    const row = report.rows.find((x) => x.component === 'containerd');
    expect(row?.status).toBe('version mismatch');
    expect(row?.detail[0]).toMatch(new RegExp(`is containerd v${built.containerdVersion.replace(/\./g, '\\.')} \\(1\\.x\\), kept for Kubernetes v1\\.35 and older only; Kubernetes v1\\.37\\.2 needs containerd v2\\.0 or later`));
    expect(report.rows.filter((x) => x.status !== 'ok' && x.status !== 'not needed').map((x) => x.component)).toEqual(['containerd']);
  });
});

describe('bundle check with an upstream-layout kubernetes tarball', () => {
  /** A kubernetes-server tarball as release.sh lays it out: kubernetes/version and an ELF kubelet. */
  function kubeTarball(ws: Workspace, version: string): void {
    const work = mkdtempSync(join(tmpdir(), 'kubesmith-k8s-tar-'));
    mkdirSync(join(work, 'kubernetes/server/bin'), { recursive: true });
    copyFileSync('/bin/true', join(work, 'kubernetes/server/bin/kubelet'));
    writeFileSync(join(work, 'kubernetes/server/bin/kube-apiserver.docker_tag'), `${version.replace('+', '_')}\n`);
    writeFileSync(join(work, 'kubernetes/version'), `${version}\n`);
    const file = join(ws.bundle, 'kubernetes-server-linux-amd64.tar.gz');
    rmSync(file);
    execFileSync('tar', ['-czf', file, '-C', work, 'kubernetes']);
    const sum = join(ws.bundle, 'kubernetes-server-linux-amd64.tar.gz.sha512');
    rmSync(sum);
    writeFileSync(sum, `${execFileSync('sha512sum', [file], { encoding: 'utf8' }).split(' ')[0]}\n`);
    rmSync(work, { recursive: true });
  }

  it('reads kubernetes/version from the tarball: another minor is a version mismatch', async () => {
    const ws = workspace();
    kubeTarball(ws, 'v1.36.3');
    const report = JSON.parse((await ws.run('--json')).out) as BundleCheckReport;
    const row = report.rows.find((x) => x.component === 'kubernetes');
    expect(row?.status).toBe('version mismatch');
    expect(row?.detail).toEqual(['the inventory wants v1.35.6; kubernetes-server-linux-amd64.tar.gz holds v1.36.3 (kubernetes/version)']);
  });

  it('with a real (ELF) kubelet the image tarballs are required, and missing ones are named', async () => {
    const ws = workspace();
    kubeTarball(ws, 'v1.35.6');
    const r = await ws.run('--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as BundleCheckReport;
    expect(report.rows.find((x) => x.component === 'kubernetes')?.detail).toContain('version v1.35.6');
    const images = report.rows.filter((x) => x.component === 'image');
    expect(images.map((x) => x.expected)).toContain('pause_3.9.tar');
    expect(new Set(images.map((x) => x.status))).toEqual(new Set(['missing']));
    expect(images.every((x) => x.checksumFiles.join() === 'SHA256SUMS')).toBe(true);
  });
});

describe('bundle check usage', () => {
  it('a bundle directory that does not exist is exit 1 naming it, nothing written', async () => {
    const ws = workspace((y) => y.replace('dir: ./bundle ', 'dir: ./nowhere '));
    const r = await ws.run();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nowhere: cannot read the offline bundle directory/);
    expect(r.changes).toEqual([]);
  });
});
