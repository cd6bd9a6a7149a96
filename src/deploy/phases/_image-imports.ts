/**
 * The container images (pause, flannel, CoreDNS) go from the bundle into containerd's k8s.io
 * namespace on every node BEFORE kubelet starts: kubelet needs the sandbox (pause) image for its
 * first pod and nothing is pulled from a registry. The tarballs were shipped by the binaries
 * phase (plan artifacts); a plan without them (stub Kubernetes binaries) imports nothing.
 */
import { imageImportSteps, imagesArgv } from '../../kube/addons.js';
import type { PhaseInput, Step } from '../phase.js';
import { unitBinaries } from './_artifacts.js';

/** `steps` (the nodes phase's) with the image import placed after containerd starts and before kubelet. */
export function withImageImports(steps: readonly Step[], input: PhaseInput): readonly Step[] {
  const { host, plan, facts } = input;
  const imports = imageImportSteps(plan, host.host).filter((s) => host.artifacts.some((a) => a.path === s.remotePath));
  if (imports.length === 0) return steps;
  const containerd = unitBinaries(host, 'nodes').get('containerd.service');
  const added: readonly Step[] =
    containerd === undefined || facts.runnable?.get(containerd) === undefined
      ? [{ kind: 'note', message: `container images not imported: ${containerd ?? 'containerd'} does not run, so containerd was not started` }]
      : [
          {
            kind: 'exec',
            argv: imagesArgv(plan.inventory, imports, 'import'),
            label: `images import into containerd (k8s.io) of those it lacks: ${imports.map((s) => s.remotePath.slice(s.remotePath.lastIndexOf('/') + 1)).join(', ')}`,
            why: 'kubelet needs them before it starts, and nothing is pulled from a registry',
            // exits 0 when containerd has every image: a re-apply imports nothing.
            unless: imagesArgv(plan.inventory, imports, 'check'),
          },
        ];
  const at = steps.findIndex((s) => s.kind === 'systemd' && s.unit === 'kubelet.service');
  return at < 0 ? [...steps, ...added] : [...steps.slice(0, at), ...added, ...steps.slice(at)];
}
