import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/state/bundle.js';
import { matchBundleFile, parseChecksumFile } from '../../src/state/bundle-checksums.js';
import { BundleError } from '../../src/shared/errors.js';
import { corruptFile } from '../support/test-bundle.js';

const sha = (b: Buffer | string, alg = 'sha256'): string => createHash(alg).update(b).digest('hex');

describe('checksum files', () => {
  it('reads the formats upstream publishes', () => {
    const h = 'a'.repeat(64);
    expect(parseChecksumFile('SHA256SUMS', `${h}  etcd-v3.5.16-linux-amd64.tar.gz\n${h}  etcd-v3.5.16-darwin-arm64.zip\n`).map((e) => e.file)).toEqual([
      'etcd-v3.5.16-linux-amd64.tar.gz',
      'etcd-v3.5.16-darwin-arm64.zip',
    ]);
    expect(parseChecksumFile('kubernetes-server-linux-amd64.tar.gz.sha512', `${'b'.repeat(128)}\n`)).toEqual([
      { file: 'kubernetes-server-linux-amd64.tar.gz', algorithm: 'sha512', hex: 'b'.repeat(128), source: 'kubernetes-server-linux-amd64.tar.gz.sha512' },
    ]);
    expect(parseChecksumFile('runc.sha256sum', `${h}  runc.amd64\n${h}  runc.arm64\n`).map((e) => e.file)).toEqual(['runc.amd64', 'runc.arm64']);
    expect(parseChecksumFile('x.sha256', 'not a digest\n')).toEqual([]);
  });

  it('resolves "*" patterns to release file names, never to checksum files', () => {
    const names = ['containerd-1.7.22-linux-amd64.tar.gz', 'containerd-1.7.22-linux-amd64.tar.gz.sha256sum', 'runc.amd64'];
    expect(matchBundleFile('containerd-*-linux-amd64.tar.gz', names)).toEqual(['containerd-1.7.22-linux-amd64.tar.gz']);
    expect(matchBundleFile('runc.amd64', names)).toEqual(['runc.amd64']);
  });
});

describe('loadBundle', () => {
  let root: string;
  let dir: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ks-bundle-'));
    dir = join(root, 'bundle');
    const work = join(root, 'work');
    mkdirSync(join(work, 'etcd-v3.4.23-linux-amd64'), { recursive: true });
    writeFileSync(join(work, 'etcd-v3.4.23-linux-amd64/etcd'), 'ETCD');
    writeFileSync(join(work, 'etcd-v3.4.23-linux-amd64/etcdctl'), 'ETCDCTL');
    writeFileSync(join(work, 'bridge'), 'BRIDGE');
    mkdirSync(dir);
    execFileSync('tar', ['-czf', join(dir, 'etcd-v3.4.23-linux-amd64.tar.gz'), 'etcd-v3.4.23-linux-amd64'], { cwd: work });
    execFileSync('tar', ['-czf', join(dir, 'cni-plugins-linux-amd64-v1.1.1.tgz'), './bridge'], { cwd: work });
    writeFileSync(join(dir, 'runc.amd64'), 'RUNC');
    const f = (n: string): Buffer => readFileSync(join(dir, n));
    writeFileSync(join(dir, 'SHA256SUMS'), `${sha(f('etcd-v3.4.23-linux-amd64.tar.gz'))}  etcd-v3.4.23-linux-amd64.tar.gz\n`);
    writeFileSync(join(dir, 'cni-plugins-linux-amd64-v1.1.1.tgz.sha512'), `${sha(f('cni-plugins-linux-amd64-v1.1.1.tgz'), 'sha512')}  cni-plugins-linux-amd64-v1.1.1.tgz\n`);
    writeFileSync(join(dir, 'runc.sha256sum'), `${sha('RUNC')}  runc.amd64\n`);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const needs = [
    { bundleFile: 'etcd-v3.4.23-linux-amd64.tar.gz', member: 'etcd-v3.4.23-linux-amd64/etcd' },
    { bundleFile: 'cni-plugins-linux-amd64-*.tgz', member: './bridge' },
    { bundleFile: 'runc.amd64', member: 'runc.amd64' },
  ];

  it('verifies every checksum and extracts only the members asked for', async () => {
    const got = await loadBundle({ dir, cacheDir: join(root, 'cache'), needs });
    const etcd = got.get('etcd-v3.4.23-linux-amd64.tar.gz#etcd-v3.4.23-linux-amd64/etcd');
    expect(etcd).toMatchObject({ size: 4, sha256: sha('ETCD') });
    expect(readFileSync(etcd?.localFile ?? '', 'utf8')).toBe('ETCD');
    expect(got.get('cni-plugins-linux-amd64-*.tgz#./bridge')).toMatchObject({ sha256: sha('BRIDGE') });
    expect(got.get('runc.amd64#runc.amd64')).toEqual({ localFile: join(dir, 'runc.amd64'), size: 4, sha256: sha('RUNC') });
    expect(execFileSync('find', [join(root, 'cache'), '-name', 'etcdctl'], { encoding: 'utf8' })).toBe('');
    // a second load reuses the cache and gives the same answer
    expect(await loadBundle({ dir, cacheDir: join(root, 'cache'), needs })).toEqual(got);
  });

  it('names the file, the expected and the actual sum on a mismatch', async () => {
    const copy = join(root, 'bad');
    execFileSync('cp', ['-a', dir, copy]);
    corruptFile(join(copy, 'runc.amd64'));
    const err = await loadBundle({ dir: copy, cacheDir: join(root, 'cache2'), needs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).message).toBe(`${join(copy, 'runc.amd64')}: sha256 checksum mismatch`);
    expect((err as BundleError).detail[0]).toBe(`expected ${sha('RUNC')} (from runc.sha256sum)`);
    expect((err as BundleError).detail[1]).toMatch(/^actual {3}[0-9a-f]{64}$/);
  });

  it('refuses a missing file and a file without a published checksum', async () => {
    await expect(loadBundle({ dir, cacheDir: join(root, 'c3'), needs: [{ bundleFile: 'containerd-*-linux-amd64.tar.gz', member: 'bin/ctr' }] })).rejects.toThrow(
      /missing containerd-\*-linux-amd64.tar.gz/,
    );
    writeFileSync(join(dir, 'unsigned.bin'), 'x');
    await expect(loadBundle({ dir, cacheDir: join(root, 'c3'), needs: [{ bundleFile: 'unsigned.bin', member: 'unsigned.bin' }] })).rejects.toThrow(
      /no checksum published for unsigned.bin/,
    );
  });

  it('reports a tar member the release layout should have', async () => {
    await expect(
      loadBundle({ dir, cacheDir: join(root, 'c4'), needs: [{ bundleFile: 'etcd-v3.4.23-linux-amd64.tar.gz', member: 'etcd-v3.4.23-linux-amd64/etcdutl' }] }),
    ).rejects.toThrow(/has no member etcd-v3.4.23-linux-amd64\/etcdutl/);
  });
});
