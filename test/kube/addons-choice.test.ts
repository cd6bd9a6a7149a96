/**
 * `cluster.cni: none` and `cluster.coredns: false` drop the add-on everywhere it shows: the cluster
 * manifests the plan applies, the images nodes import, the files the plan ships and the image
 * tarballs the bundle must hold (real renderer, real bundle loader on a real tarball).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonManifests, enabledAddons, imageTarball, nodeImages } from '../../src/kube/addons.js';
import type { Inventory } from '../../src/inventory/types.js';
import type { BootstrapToken } from '../../src/pki/types.js';
import { clusterManifests } from '../../src/render/cluster-manifests.js';
import { createEngine } from '../../src/render/engine.js';
import { remoteLayout } from '../../src/render/layout.js';
import { loadBundleWithImages } from '../../src/state/bundle-images.js';
import { loadTemplates } from '../../src/state/load-templates.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { realPlan } from '../deploy/phases/_real-plan.js';

const base = exampleInventory();
const variant = (cni: 'flannel' | 'none', coredns: boolean): Inventory => exampleInventory({ cluster: { ...base.cluster, cni, coredns } });
const token: BootstrapToken = { id: 'abcdef', secret: '0123456789abcdef', expires: new Date('2030-01-01T00:00:00Z') };
const engine = createEngine(loadTemplates());
const ids = (inv: Inventory): string[] => clusterManifests(inv, remoteLayout(inv), engine, token).map((m) => m.id);
const root = mkdtempSync(join(tmpdir(), 'ks-addons-choice-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('add-on choice', () => {
  it.each([
    ['flannel', true, ['flannel', 'coredns'], 4],
    ['none', true, ['coredns'], 2],
    ['flannel', false, ['flannel'], 3],
    ['none', false, [], 1],
  ] as const)('cni %s, coredns %s: manifests, addon list and node images follow', (cni, coredns, addons, images) => {
    const inv = variant(cni, coredns);
    expect(enabledAddons(inv)).toEqual(addons);
    const manifests = ids(inv);
    expect(manifests.filter((id) => id === 'flannel' || id === 'coredns')).toEqual(addons);
    expect(manifests).toContain('bootstrap-token-secret');
    expect(addonManifests(clusterManifests(inv, remoteLayout(inv), engine, token), inv).map((m) => m.id)).toEqual(addons);
    const imgs = nodeImages(inv);
    expect(imgs).toHaveLength(images);
    expect(imgs[0]).toBe(inv.containerd.sandboxImage);
    expect(imgs.some((i) => i.includes('flannel'))).toBe(cni === 'flannel');
    expect(imgs.some((i) => i.includes('coredns'))).toBe(coredns);
  });

  it('cni none + no CoreDNS: the plan ships only the pause image to nodes', async () => {
    const plan = await realPlan(variant('none', false));
    const tars = plan.hosts.flatMap((h) => h.artifacts.filter((a) => a.path.endsWith('.tar')).map((a) => `${h.host.name}:${a.path}`));
    const nodes = plan.hosts.filter((h) => h.host.roles.includes('worker') || h.host.roles.includes('control-plane')).map((h) => h.host.name);
    expect(tars.sort()).toEqual(nodes.map((n) => `${n}:/opt/kubernetes/images/${imageTarball(base.containerd.sandboxImage)}`).sort());
  });

  it('the bundle then needs only the pause tarball next to a real kubelet', async () => {
    const inv = variant('none', false);
    const dir = join(root, 'bundle');
    const bin = join(dir, '.work', 'kubernetes', 'server', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync('/bin/true', join(bin, 'kubelet')); // an ELF executable standing in for kubelet
    const k8s = 'kubernetes-server-linux-amd64.tar.gz';
    execFileSync('tar', ['-czf', join(dir, k8s), 'kubernetes'], { cwd: join(dir, '.work') });
    writeFileSync(join(dir, `${k8s}.sha512`), `${createHash('sha512').update(readFileSync(join(dir, k8s))).digest('hex')}\n`);
    const pause = imageTarball(inv.containerd.sandboxImage);
    writeFileSync(join(dir, pause), 'oci archive');
    writeFileSync(join(dir, 'SHA256SUMS'), `${createHash('sha256').update('oci archive').digest('hex')}  ${pause}\n`);
    // Every image the default inventory would name is asked for; only the enabled ones are required.
    const needs = [{ bundleFile: k8s, member: 'kubernetes/server/bin/kubelet' }, { bundleFile: pause, member: pause }];
    const r = await loadBundleWithImages(inv, { dir, cacheDir: join(root, 'cache'), needs });
    expect(r.imagesSkipped).toBeUndefined();
    expect([...r.binaries.keys()].sort()).toEqual([`${k8s}#kubernetes/server/bin/kubelet`, `${pause}#${pause}`].sort());
    await expect(loadBundleWithImages(base, { dir, cacheDir: join(root, 'cache2'), needs: [...needs, ...nodeImages(base).slice(1).map((i) => ({ bundleFile: imageTarball(i), member: imageTarball(i) }))] })).rejects.toThrow(/missing container image tarballs: flannel-cni-plugin/);
  });
});
