/**
 * `kubesmith remove` of a worker that is also an etcd member, on a real cluster (real Kubernetes
 * binaries, real etcd), run last in apply-k8s.e2e.test.ts: a Deployment of two replicas that
 * prefers the target, guarded by a PodDisruptionBudget (minAvailable 1), plus the checks' bare pod
 * there. Without --force the bare pod stops the removal before anything changes; with it, the
 * node is drained with the budget respected (the API refused an eviction and the drain waited for
 * the replacement), its Node deleted, its services stopped, etcd down to the other members.
 */
import { expect, it } from 'vitest';
import { runCli, etcdctlFromTest, summaryOf } from './apply-env.js';
import { BUSYBOX, hostSh, type K8sEnv } from './k8s-env.js';

export interface RemoveTopology {
  readonly target: string;
  /** The node the Deployment may move to. */
  readonly other: string;
  /** etcd members that remain. */
  readonly etcdAfter: readonly string[];
}

export function k8sRemoveCheck(get: () => K8sEnv, t: RemoveTopology): void {
  it(`remove ${t.target}: refused for a bare pod, then drained with its disruption budget respected, Node deleted, etcd member removed`, async () => {
    const { env, kubectl } = get();
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'keep' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'keep' } },
        template: {
          metadata: { labels: { app: 'keep' } },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [t.target, t.other] }] }] },
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [t.target] }] } }],
              },
            },
            terminationGracePeriodSeconds: 2,
            containers: [{ name: 'keep', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
          },
        },
      },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'keep' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'keep' } } } }));
    kubectl(['rollout', 'status', 'deployment/keep', '--timeout=180s']);
    const where = () => kubectl(['get', 'pods', '-l', 'app=keep', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {end}']).trim().split(' ');
    const before = where();
    expect(before, 'the Deployment prefers the target').toContain(t.target);

    const refused = await runCli(['remove', '-i', env.inventory, t.target], env.dir, 300_000);
    console.log([refused.stderr, refused.stdout].join('\n'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`not draining ${t.target}: default/web-${t.target}: no controller manages it`));
    expect(kubectl(['get', 'node', t.target, '-o', 'jsonpath={.spec.unschedulable}'])).toBe('');
    // Nothing later ran anywhere: the target is still an etcd member (whichever member leads).
    expect(etcdctlFromTest(env, [...t.etcdAfter, t.target], ['member', 'list']).trim().split('\n')).toHaveLength(t.etcdAfter.length + 1);
    expect(refused.stderr).toMatch(/==> Cordon and drain/);
    expect(refused.stderr).not.toMatch(/==> (Stop the node services|Delete the Node|Remove \S+ from the etcd cluster)/);

    const t0 = Date.now();
    const run = await runCli(['remove', '-i', env.inventory, t.target, '--force', '--drain-timeout', '4m'], env.dir, 420_000);
    console.log([run.stderr, run.stdout, `remove ${((Date.now() - t0) / 1000).toFixed(1)} s`].join('\n'));
    expect(run.code, run.stderr).toBe(0);
    if (before.filter((n) => n === t.target).length === 2) expect(run.stderr).toMatch(/default\/keep-\S+\s+evicted after \d+ refusals? \(disruption budget\)/);
    expect(run.stdout).toContain(`${t.target} was drained and its Node deleted.`);
    expect(kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}']).split(' ')).not.toContain(t.target);
    kubectl(['rollout', 'status', 'deployment/keep', '--timeout=120s']);
    expect(where()).toEqual([t.other, t.other]);
    const h = env.group.host(t.target);
    expect((await hostSh(h, 'systemctl is-active kubelet kube-proxy containerd etcd || true')).trim().split('\n')).toEqual(['inactive', 'inactive', 'inactive', 'inactive']);
    // The test hosts mount a tmpfs on /var/lib/kubelet (k8s-env.ts), as operators often give it a disk: a
    // mount point cannot be renamed, so its contents moved inside it; the pods' volume mounts are gone.
    expect((await hostSh(h, 'ls -d /var/lib/kubelet/kubesmith-removed/pki /var/lib/etcd.removed; ls /opt/kubernetes/bin/kubelet 2>&1 || true')).trim()).toMatch(/^\/var\/lib\/etcd\.removed\n\/var\/lib\/kubelet\/kubesmith-removed\/pki\n.*No such file/);
    expect((await hostSh(h, 'grep -c " /var/lib/kubelet/" /proc/self/mountinfo || true')).trim()).toBe('0');
    expect(etcdctlFromTest(env, t.etcdAfter, ['member', 'list']).trim().split('\n')).toHaveLength(t.etcdAfter.length);
    expect(etcdctlFromTest(env, t.etcdAfter, ['endpoint', 'health']).match(/is healthy/g)).toHaveLength(t.etcdAfter.length);
  }, 900_000);

  it(`${t.target} added again by apply: joins etcd and the cluster, nothing else restarts`, async () => {
    const { env, kubectl } = get();
    const t0 = Date.now();
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 540_000);
    console.log([run.stderr, `re-add ${((Date.now() - t0) / 1000).toFixed(1)} s`].join('\n'));
    expect(run.code, run.stderr).toBe(0);
    // The reporter prints a host's summary; the run log has each step.
    expect(run.log.some((r) => r.msg === 'step' && r.host === t.target && String(r.step).includes('etcdctl member add') && r['status'] === 'changed')).toBe(true);
    expect(summaryOf(run).filter((s) => s.host !== t.target).map((s) => [s.host, s.restarted])).toEqual(summaryOf(run).filter((s) => s.host !== t.target).map((s) => [s.host, []]));
    const all = [...t.etcdAfter, t.target];
    expect(etcdctlFromTest(env, all, ['endpoint', 'health']).match(/is healthy/g)).toHaveLength(all.length);
    expect(etcdctlFromTest(env, all, ['member', 'list']).trim().split('\n').filter((l) => l.includes('started') && l.includes('false'))).toHaveLength(all.length);
    expect(kubectl(['get', 'node', t.target, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).toBe('True');
  }, 900_000);
}
