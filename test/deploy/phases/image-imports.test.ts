/** The nodes phase imports the bundle's images into containerd after it starts and before kubelet. */
import { describe, expect, it } from 'vitest';
import type { Step } from '../../../src/deploy/phase.js';
import { describeStep } from '../../../src/deploy/steps.js';
import { nodes } from '../../../src/deploy/phases/nodes.js';
import { unitBinaries } from '../../../src/deploy/phases/_artifacts.js';
import { withoutImages } from '../../../src/state/bundle-images.js';
import type { ClusterPlan, PlannedHost } from '../../../src/plan/types.js';
import { realPlan } from './_real-plan.js';

const planFor = (plan: ClusterPlan, name: string, runs: boolean): readonly Step[] => {
  const host = plan.hosts.find((h) => h.host.name === name) as PlannedHost;
  const runnable = new Map([...unitBinaries(host, 'nodes').values()].map((b) => [b, runs ? 'v1' : undefined] as const));
  return nodes.plan({ plan, host, facts: { runnable }, activeHosts: plan.hosts.map((h) => h.host.name) });
};

describe('image imports in the nodes phase', () => {
  it('runs each import between containerd start and kubelet, skipped when containerd already has the image', async () => {
    const plan = await realPlan();
    const steps = planFor(plan, 'node01', true).map(describeStep);
    const imports = steps.flatMap((s, i) => (s.includes(' images import ') ? [i] : []));
    expect(imports).toHaveLength(4);
    expect(steps.indexOf('start containerd.service')).toBeLessThan(imports[0] ?? -1);
    expect(steps.indexOf('enable kubelet.service')).toBe((imports.at(-1) ?? 0) + 1);
    expect(steps.find((s) => s.includes('pause_3.9.tar'))).toBe(
      'run /usr/local/bin/ctr --address /run/containerd/containerd.sock -n k8s.io images import --snapshotter overlayfs /opt/kubernetes/images/pause_3.9.tar',
    );
    const step = planFor(plan, 'node01', true).find((s) => s.kind === 'exec' && s.argv.includes('import'));
    expect(step?.kind === 'exec' ? step.unless?.join(' ') : '').toContain('images ls -q name==registry.k8s.io/pause:3.9');
  });

  it('imports nothing when the plan carries no images (stub Kubernetes binaries)', async () => {
    const plan = withoutImages(await realPlan());
    expect(planFor(plan, 'node01', true).map(describeStep).filter((s) => s.includes('images import'))).toEqual([]);
  });

  it('says so instead of importing when containerd does not run', async () => {
    const steps = planFor(await realPlan(), 'node01', false).map(describeStep);
    expect(steps.filter((s) => s.includes('images import'))).toEqual([]);
    expect(steps).toContainEqual(expect.stringMatching(/^container images not imported: \S+containerd does not run/));
  });
});
