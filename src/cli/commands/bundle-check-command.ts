/** The `bundle check` command's options and help; the implementation is in bundle-check.ts. */
import { INVENTORY_OPTION, JSON_OPTION, type Command } from '../command.js';

/** `kubesmith bundle check`: is the offline bundle complete and intact for this inventory? */
export const bundleCheckCommand: Command = {
  name: 'bundle check',
  summary: 'check the offline bundle for the inventory: every file present, checksum-verified, right version',
  usage: '-i FILE [--json]',
  description: [
    'For the inventory\'s versions, lists each release artifact apply will read from `bundle.dir`',
    '(etcd, kubernetes-server, containerd, runc, CNI plugins, and the container image tarballs when the',
    'bundle\'s kubelet is a real executable) with the checksum files upstream publishes for it.',
    'Every published sha256/sha512 is verified (streamed); the kubernetes-server tarball\'s',
    '`kubernetes/version` is compared with cluster.kubernetesVersion. Files the inventory does not need',
    'are ignored. Each row: ok, missing, checksum mismatch, no checksum file, version mismatch, ambiguous',
    '(several versions) or not needed. Reads only, works offline. Exit 0 when everything is ok, 1 otherwise.',
  ].join('\n'),
  options: { inventory: INVENTORY_OPTION, json: JSON_OPTION },
  // Loaded on use, like every command that does more than parse: `--help` stays fast.
  run: async (ctx) => (await import('./bundle-check.js')).runBundleCheck(ctx),
};
