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
  it('imports between containerd start and kubelet, in one step whose one probe says whether containerd has every image', async () => {
    const plan = await realPlan();
    const planned = planFor(plan, 'node01', true);
    const steps = planned.map(describeStep);
    const imports = steps.flatMap((s, i) => (s.startsWith('images import') ? [i] : []));
    expect(imports).toHaveLength(1);
    expect(steps.indexOf('start containerd.service')).toBeLessThan(imports[0] ?? -1);
    expect(steps.indexOf('enable kubelet.service')).toBe((imports[0] ?? 0) + 1);
    expect(steps[imports[0] ?? 0]).toBe(
      'images import into containerd (k8s.io) of those it lacks: pause_3.9.tar, flannel-cni-plugin_v1.6.0-flannel1.tar, flannel_v0.26.1.tar, coredns_v1.11.3.tar',
    );
    const step = planned[imports[0] ?? 0];
    expect(step?.kind === 'exec' ? [step.argv[4], step.unless?.[4]] : []).toEqual(['import', 'check']);
    expect(step?.kind === 'exec' ? step.unless?.slice(8) : []).toContain('registry.k8s.io/pause:3.9');
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
