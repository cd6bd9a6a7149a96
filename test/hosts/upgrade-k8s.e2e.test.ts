/**
 * Issue #10 part 3 with real Kubernetes binaries: a rolling upgrade from one minor to the next on
 * two control planes (ha: local-proxy, both etcd) and one worker (also etcd), while a client on the
 * worker polls /readyz every ~100 ms through its local proxy (a new TLS connection per poll) and a
 * Deployment of 2 replicas guarded by a PodDisruptionBudget (minAvailable 1) runs:
 * - the first apply installs KUBESMITH_E2E_K8S_BUNDLE_FROM (e.g. v1.35.6); cluster.json records it;
 * - the bundle and the inventory then name KUBESMITH_E2E_K8S_BUNDLE (e.g. v1.36.3); `plan` says
 *   "upgrade: Kubernetes A -> B"; apply exits 0 with no failed poll; kube-apiserver restarted one
 *   host at a time; every node was cordoned and drained before its kubelet restarted (the run's
 *   rollout lines) and is Ready, schedulable and on the new kubelet version afterwards; every
 *   apiserver answers with the new version; the Deployment is whole again; the record says B;
 * - a second apply changes nothing and restarts nothing.
 * Skipped unless both tarballs are given (no registry here has Kubernetes binaries).
 */
import { loadavg } from 'node:os';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, summaryOf } from './apply-env.js';
import { BUSYBOX, bundleKubectl, hostSh, k8sSkipReason, setupK8sEnv, teardownK8sEnv, type K8sEnv } from './k8s-env.js';
import { underPoller } from './poller-run.js';
import { pollOk, pollStats, pollWhy } from './readyz-poller.js';

const FROM = process.env.KUBESMITH_E2E_K8S_BUNDLE_FROM;
const reason = FROM ? k8sSkipReason('test/hosts/upgrade-k8s.e2e.test.ts') : 'KUBESMITH_E2E_K8S_BUNDLE_FROM not set: the upgrade needs a kubernetes-server tarball of the previous minor too';
if (!FROM) console.log(`test/hosts/upgrade-k8s.e2e.test.ts skipped: ${reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'cp2', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
];
const NODES = HOSTS.map((h) => h.name);
const CA_FILE = '/opt/kubernetes/ssl/ca.pem';
const TARBALL = 'kubernetes-server-linux-amd64.tar.gz';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe.skipIf(reason !== undefined)('rolling upgrade of a real cluster under a /readyz poller (2 control planes, ha: local-proxy)', () => {
  let k: K8sEnv | undefined;
  let from = '';
  let to = '';
  const get = (): K8sEnv => k as K8sEnv;
  const numbers: string[] = [];
  const nodesInfo = (): string =>
    get().kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status},{.spec.unschedulable},{.status.nodeInfo.kubeletVersion} {end}']).trim();
  async function waitNodes(want: string, what: string): Promise<void> {
    let seen = '';
    for (let i = 0; i < 60; i += 1) {
      seen = nodesInfo();
      if (seen === want) return;
      await sleep(2000);
    }
    expect.soft(seen, what).toBe(want);
  }
  const record = (): unknown => (JSON.parse(readFileSync(join(get().env.stateDir, 'pki', 'cluster.json'), 'utf8')) as { versions?: unknown }).versions;

  beforeAll(async () => {
    const work = join('/tmp', `ks-upgrade-${process.pid}`);
    (await import('node:fs')).mkdirSync(work, { recursive: true });
    from = bundleKubectl(FROM as string, work).version;
    to = bundleKubectl(process.env.KUBESMITH_E2E_K8S_BUNDLE as string, work).version;
    k = await setupK8sEnv(HOSTS, () => ({ cluster: ['apiServer:', '  ha: local-proxy'] }), FROM);
  }, 300_000);
  afterAll(async () => {
    if (numbers.length > 0) console.log(`rolling upgrade ${from} -> ${to} (cp1, cp2 + wk1; /readyz through wk1's local proxy every ~100 ms):\n  ${numbers.join('\n  ')}`);
    await teardownK8sEnv(k, 'rolling upgrade');
  }, 300_000);

  it('first apply of the older minor: nodes Ready, the versions recorded, a guarded Deployment runs', async () => {
    const { env, kubectl, timings } = get();
    const t0 = Date.now();
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 900_000);
    timings.push(`first apply (${from}) ${secs(Date.now() - t0)}`);
    expect(run.code, run.stderr).toBe(0);
    await waitNodes(NODES.map((n) => `${n}=True,,${from}`).join(' '), 'nodes Ready on the first version');
    expect(record()).toEqual({ kubernetes: from, etcd: env.bundle.etcdVersion });
    await Promise.all(env.group.hosts.map((h) => hostSh(h, '/usr/local/bin/ctr --address /run/containerd/containerd.sock -n k8s.io images import --snapshotter native /root/busybox.tar')));
    const labels = { app: 'web' };
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sleep', '100000'] }] } } } };
    const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: labels } } };
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deploy, pdb] }));
    kubectl(['rollout', 'status', '--timeout=180s', 'deployment/web']);
  }, 1_000_000);

  it('the newer minor: plan announces it; apply upgrades with every node drained in turn and no failed /readyz', async () => {
    const { env, timings, kubectl } = get();
    const bundleDir = join(env.dir, 'bundle');
    copyFileSync(process.env.KUBESMITH_E2E_K8S_BUNDLE as string, join(bundleDir, TARBALL));
    writeFileSync(join(bundleDir, `${TARBALL}.sha512`), `${createHash('sha512').update(readFileSync(join(bundleDir, TARBALL))).digest('hex')}\n`);
    writeFileSync(env.inventory, readFileSync(env.inventory, 'utf8').replace(`kubernetesVersion: ${from}`, `kubernetesVersion: ${to}`));
    const plan = await runCli(['plan', '-i', env.inventory], env.dir);
    expect(plan.stdout).toContain(`upgrade: Kubernetes ${from} -> ${to} (upgrade)`);
    expect(plan.stdout).toMatch(new RegExp(`nodes: rolling restart .*cordoned and drained before its kubelet is replaced and uncordoned once Ready on ${to.replace(/\./g, '\\.')}`));

    const { result: run, polls, ms: applyMs, load0 } = await underPoller(env.group.hosts, env.group.host('wk1'), { caFile: CA_FILE, stateDir: env.stateDir }, () => runCli(['apply', '-i', env.inventory], env.dir, 1_500_000));
    const stats = pollStats(polls);
    timings.push(`upgrade apply ${secs(applyMs)}`);
    const rollout = (phase: string): string[] => run.log.filter((r) => r.msg === 'rollout' && r.phase === phase).map((r) => `${String(r.host ?? '')} ${String(r.message)}`.trim());
    numbers.push(
      [
        `upgrade apply ${secs(applyMs)} (exit ${run.code}); /readyz polls ${stats.requests}, failed ${stats.failed.length}, longest gap ${stats.longestGapMs} ms; load average ${load0.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)}`,
        ...['etcd', 'control-plane', 'nodes'].flatMap((p) => rollout(p).map((l) => `    ${p}: ${l}`)),
        `    restarted: ${summaryOf(run).map((x) => `${x.host} ${x.restarted.join(',') || 'nothing'}`).join('; ')}`,
        ...stats.failed.slice(0, 20).map((p) => `    FAILED poll: ${pollWhy(p)}`),
      ].join('\n'),
    );
    console.log(numbers.at(-1));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`upgrade: Kubernetes ${from} -> ${to}`);
    const restarted = (unit: string): string[] => summaryOf(run).filter((s) => s.restarted.includes(unit)).map((s) => s.host).sort();
    expect.soft(restarted('kube-apiserver.service')).toEqual(['cp1', 'cp2']);
    expect.soft(restarted('kubelet.service')).toEqual([...NODES].sort());
    expect.soft(rollout('control-plane')[0]).toMatch(/^control-plane: rolling restart (cp1 -> cp2|cp2 -> cp1), each taken out of every API proxy/);
    const nodeLines = rollout('nodes');
    expect.soft(nodeLines[0]).toMatch(/^nodes: rolling restart .*cordoned and drained before its kubelet is replaced/);
    for (const n of NODES) {
      expect.soft(nodeLines.filter((l) => l.startsWith(`${n} drained ${n}:`)), `${n} drained before its restart`).toHaveLength(1);
      expect.soft(nodeLines.filter((l) => l === `${n} uncordoned ${n}: Ready on ${to}`), `${n} uncordoned after`).toHaveLength(1);
    }
    await waitNodes(NODES.map((n) => `${n}=True,,${to}`).join(' '), 'nodes Ready, schedulable, on the new kubelet');
    for (const cp of ['cp1', 'cp2']) {
      const v = await hostSh(env.group.host(cp), `curl -sk https://${env.group.host(cp).ip}:6443/version`);
      expect.soft((JSON.parse(v) as { gitVersion: string }).gitVersion, `${cp} apiserver version`).toBe(to);
    }
    kubectl(['rollout', 'status', '--timeout=180s', 'deployment/web']);
    expect(record()).toEqual({ kubernetes: to, etcd: env.bundle.etcdVersion });
    expect.soft(kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.annotations.kubesmith\\.io/upgrade-cordon}']).trim(), 'no upgrade cordon left').toBe('');
    expect.soft(polls.filter((p) => !pollOk(p)).map(pollWhy), 'failed /readyz polls through the local proxy').toEqual([]);
  }, 1_600_000);

  it('a second apply changes nothing and restarts nothing', async () => {
    const { env, timings } = get();
    const t0 = Date.now();
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 600_000);
    timings.push(`re-apply after the upgrade ${secs(Date.now() - t0)}`);
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run).filter((s) => s.changed > 0 || s.restarted.length > 0)).toEqual([]);
  }, 700_000);
});
