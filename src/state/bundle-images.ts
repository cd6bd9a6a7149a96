/**
 * The container image tarballs in the offline bundle (pause, and flannel and CoreDNS when the
 * inventory enables them: kube/addons.ts nodeImages) are required only
 * when the bundle's Kubernetes binaries are real: with stub binaries (test bundles) no kubelet
 * starts, so nothing would import or run them. "Real" is judged on the extracted kubelet being an
 * ELF executable, the operator-side counterpart of the hosts' `--version` check.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { imageTarball, nodeImages } from '../kube/addons.js';
import type { Inventory } from '../inventory/types.js';
import type { ClusterPlan } from '../plan/types.js';
import { BundleError } from '../shared/errors.js';
import { loadBundle, type BundleBinary, type BundleNeed, type LoadBundleOptions } from './bundle.js';

/** What was loaded, and why the image tarballs were left out (undefined: they are in). */
export interface BundleWithImages {
  readonly binaries: ReadonlyMap<string, BundleBinary>;
  readonly imagesSkipped?: string;
}

/** True when the file starts with the ELF magic (a real Linux executable, not a script stub). */
export async function isElf(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, 0);
    return buf.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await fh.close();
  }
}

/**
 * Loads every need; image tarballs only when the kubelet in the bundle is real. Then a missing
 * image is a BundleError naming every missing file, before any host is touched.
 */
export async function loadBundleWithImages(inv: Inventory, opts: LoadBundleOptions): Promise<BundleWithImages> {
  const imageFiles = new Set(nodeImages(inv).map(imageTarball));
  const isImage = (n: BundleNeed): boolean => imageFiles.has(n.bundleFile);
  const images = opts.needs.filter(isImage);
  const binaries = await loadBundle({ ...opts, needs: opts.needs.filter((n) => !isImage(n)) });
  if (images.length === 0) return { binaries };
  const kubelet = [...binaries].find(([k]) => k.endsWith('#kubernetes/server/bin/kubelet'))?.[1];
  if (!kubelet || !(await isElf(kubelet.localFile))) {
    return { binaries, imagesSkipped: 'the bundle\'s kubelet is not a Linux executable (stub), so no container images are shipped or imported' };
  }
  const missing = images.map((n) => n.bundleFile).filter((f) => !existsSync(join(opts.dir, f)));
  if (missing.length > 0) {
    throw new BundleError(`${opts.dir}: missing container image tarball${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`, {
      detail: ['kubelets need these images and nothing is pulled from a registry'],
      hint: 'on a machine with access, `ctr images pull <image>` and `ctr images export <name>_<tag>.tar <image>` each one, copy the files into the bundle and add their sha256 to SHA256SUMS',
    });
  }
  return { binaries: new Map([...binaries, ...(await loadBundle({ ...opts, needs: images }))]) };
}

/** The plan without image tarball artifacts (when the bundle's Kubernetes binaries are stubs). */
export function withoutImages(plan: ClusterPlan): ClusterPlan {
  const files = new Set(nodeImages(plan.inventory).map(imageTarball));
  return { ...plan, hosts: plan.hosts.map((h) => ({ ...h, artifacts: h.artifacts.filter((a) => typeof a.content === 'string' || !files.has(a.content.bundleFile)) })) };
}
