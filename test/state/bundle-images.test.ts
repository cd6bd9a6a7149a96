/**
 * Image tarballs in the offline bundle: required (a BundleError naming every missing file) only when
 * the bundle's kubelet is a real executable; a stub bundle (tests) loads without them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageTarball, nodeImages } from '../../src/kube/addons.js';
import { BundleError } from '../../src/shared/errors.js';
import { loadBundleWithImages, withoutImages } from '../../src/state/bundle-images.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { realPlan } from '../deploy/phases/_real-plan.js';

const K8S = 'kubernetes-server-linux-amd64.tar.gz';
const inv = exampleInventory();
const IMAGES = nodeImages(inv).map(imageTarball);
const root = mkdtempSync(join(tmpdir(), 'ks-bundle-images-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A bundle with only the kubernetes tarball (kubelet real ELF or a script stub) and `images`. */
function bundle(name: string, realKubelet: boolean, images: readonly string[]): string {
  const dir = join(root, name);
  const bin = join(dir, '.work', 'kubernetes', 'server', 'bin');
  mkdirSync(bin, { recursive: true });
  if (realKubelet) copyFileSync('/bin/true', join(bin, 'kubelet')); // an ELF executable standing in for kubelet
  else writeFileSync(join(bin, 'kubelet'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  execFileSync('tar', ['-czf', join(dir, K8S), 'kubernetes'], { cwd: join(dir, '.work') });
  rmSync(join(dir, '.work'), { recursive: true });
  writeFileSync(join(dir, `${K8S}.sha512`), `${createHash('sha512').update(readFileSync(join(dir, K8S))).digest('hex')}\n`);
  const sums = images.map((f) => {
    writeFileSync(join(dir, f), `oci archive ${f}`);
    return `${createHash('sha256').update(`oci archive ${f}`).digest('hex')}  ${f}\n`;
  });
  writeFileSync(join(dir, 'SHA256SUMS'), sums.join(''));
  return dir;
}
const needs = [{ bundleFile: K8S, member: 'kubernetes/server/bin/kubelet' }, ...IMAGES.map((f) => ({ bundleFile: f, member: f }))];

describe('loadBundleWithImages', () => {
  it('with a stub kubelet: loads the binaries and leaves the images out, saying why', async () => {
    const dir = bundle('stub', false, []);
    const r = await loadBundleWithImages(inv, { dir, cacheDir: join(root, 'cache-stub'), needs });
    expect([...r.binaries.keys()]).toEqual([`${K8S}#kubernetes/server/bin/kubelet`]);
    expect(r.imagesSkipped).toMatch(/kubelet is not a Linux executable \(stub\)/);
  });

  it('with a real kubelet: a missing image is a BundleError naming every missing file', async () => {
    const dir = bundle('real-missing', true, IMAGES.slice(0, 1));
    const err = await loadBundleWithImages(inv, { dir, cacheDir: join(root, 'cache-missing'), needs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).message).toBe(`${dir}: missing container image tarballs: ${IMAGES.slice(1).join(', ')}`);
    expect((err as BundleError).hint).toMatch(/ctr images export/);
  });

  it('with a real kubelet and every image: all verified and resolved', async () => {
    const dir = bundle('real-full', true, IMAGES);
    const r = await loadBundleWithImages(inv, { dir, cacheDir: join(root, 'cache-full'), needs });
    expect(r.imagesSkipped).toBeUndefined();
    expect([...r.binaries.keys()].sort()).toEqual(needs.map((n) => `${n.bundleFile}#${n.member}`).sort());
  });

  it('withoutImages drops exactly the image artifacts', async () => {
    const plan = await realPlan(inv);
    const paths = (p: typeof plan): string[] => p.hosts.flatMap((h) => h.artifacts.map((a) => a.path));
    const dropped = paths(plan).filter((p) => !paths(withoutImages(plan)).includes(p));
    expect(new Set(dropped)).toEqual(new Set(IMAGES.map((f) => `/opt/kubernetes/images/${f}`)));
    expect(dropped).toHaveLength(IMAGES.length * 4); // every node host of the example
  });
});
