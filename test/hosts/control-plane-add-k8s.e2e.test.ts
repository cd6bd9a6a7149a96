/**
 * Issue #10 part 2 with real Kubernetes binaries: a control plane added behind the local API proxy
 * (ha: local-proxy) with no failed API request. The cluster starts as cp1 (etcd + control plane)
 * and wk1; cp2 (control plane) is booted but left out of the inventory. Then cp2 enters the
 * inventory and one `apply` runs while a client on wk1 polls /readyz every ~100 ms through wk1's
 * proxy (readyz-poller.ts: a new connection and TLS handshake per poll). What that apply must do:
 * start cp2's apiserver and wait until it is ready; bring every proxy's upstream list up to date
 * before cp1's apiserver restarts for its new certificate (cp2's name and address join its SANs),
 * with cp1 marked down there while it restarts; reload the proxies, never restart them (a restart
 * drops every connection through the node's proxy); bootstrap cp2's kubelet. Then wk2, a worker,
 * is added with `apply --limit wk2` (issue #10's figure: only the new host's files written, under
 * 10 s), and a full apply afterwards only adds wk2 to the other hosts' /etc/hosts block; the next
 * changes nothing. Last, `kubesmith remove cp2` under the same poller: cp2 leaves every proxy
 * before its apiserver stops, with no failed poll; then the inventory without cp2 and an apply: the
 * proxies reload without it, cp1's apiserver (now the only one) restarts for its certificate. KUBESMITH_E2E_K8S_BUNDLE names the kubernetes-server tarball; skipped without it.
 */
import { loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, summaryOf } from './apply-env.js';
import { hostSh, k8sSkipReason, setupK8sEnv, teardownK8sEnv, type K8sEnv } from './k8s-env.js';
import { underPoller } from './poller-run.js';
import { pollOk, pollStats, pollWhy } from './readyz-poller.js';

const reason = k8sSkipReason('test/hosts/control-plane-add-k8s.e2e.test.ts');
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['worker'] },
  { name: 'cp2', roles: ['control-plane'] },
  { name: 'wk2', roles: ['worker'] },
];
const PROXY_UNIT = 'kubesmith-apiserver-proxy.service';
const PROXY_CONF = '/opt/kubernetes/cfg/apiserver-proxy.conf';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe.skipIf(reason !== undefined)('a control plane added behind the local API proxy under a /readyz poller (real binaries)', () => {
  let k: K8sEnv | undefined;
  const get = (): K8sEnv => k as K8sEnv;
  const numbers: string[] = [];
  const readyNodes = (): string =>
    get().kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']).trim().split(' ').sort().join(' ');
  async function expectNodesReady(nodes: readonly string[], when: string): Promise<void> {
    const want = nodes.map((n) => `${n}=True`).sort().join(' ');
    let seen = '';
    for (let i = 0; i < 60 && seen !== want; i += 1) {
      seen = readyNodes();
      if (seen !== want) await sleep(2000);
    }
    expect(seen, `nodes Ready ${when}`).toBe(want);
  }
  /** `action` while wk1 polls /readyz through its local proxy (poller-run.ts). */
  const polled = <T>(action: () => Promise<T>) => underPoller(get().env.group.hosts, get().env.group.host('wk1'), { caFile: '/opt/kubernetes/ssl/ca.pem', stateDir: get().env.stateDir }, action);
  const nginxMaster = async (host: string): Promise<string> => (await hostSh(get().env.group.host(host), `systemctl show -p MainPID --value ${PROXY_UNIT}`)).trim();

  beforeAll(async () => {
    k = await setupK8sEnv(HOSTS, () => ({ cluster: ['apiServer:', '  ha: local-proxy'] }));
    get().env.writeInventory('inventory.yaml', { without: ['cp2', 'wk2'] });
  }, 300_000);
  afterAll(async () => {
    if (numbers.length > 0) console.log(`control plane added with real Kubernetes ${k?.version} (cp1 + wk1, then cp2; /readyz through wk1's local proxy every ~100 ms):\n  ${numbers.join('\n  ')}`);
    await teardownK8sEnv(k, 'control-plane add');
  }, 300_000);

  it('first apply without cp2: one control plane behind the local proxy, nodes Ready', async () => {
    const { env, timings } = get();
    const t0 = Date.now();
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 900_000);
    timings.push(`first apply (cp1, wk1) ${secs(Date.now() - t0)}`);
    expect(run.code, run.stderr).toBe(0);
    await expectNodesReady(['cp1', 'wk1'], 'after the first apply');
    expect(env.group.host('wk1').readFile(PROXY_CONF)).not.toContain(env.group.host('cp2').ip);
  }, 1_000_000);

  it('cp2 added: plan names it, apply brings it up with no failed /readyz through the proxy, proxies reloaded not restarted', async () => {
    const { env, timings } = get();
    env.writeInventory('inventory.yaml', { without: ['wk2'] });
    const plan = await runCli(['apply', '-i', env.inventory, '--dry-run'], env.dir, 300_000);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout + plan.stderr).toMatch(/cp2/);
    const masters = { cp1: await nginxMaster('cp1'), wk1: await nginxMaster('wk1') };
    const { result: run, polls, t0, ms: applyMs, load0, said } = await polled(() => runCli(['apply', '-i', env.inventory], env.dir, 900_000));
    const stats = pollStats(polls);
    const restarted = summaryOf(run).map((s) => `${s.host}: ${s.restarted.join(',') || 'nothing'}`);
    const at = (ms: number): string => `+${((ms - t0) / 1000).toFixed(2)} s`;
    const drains = run.log.filter((l) => l.msg === 'step' && /^(mark \S+ down in|put every kube-apiserver back in) /.test(String(l.step))).map((l) => `${at(Number(l.time))} ${String(l.host)} ${String(l.step).split(' in ')[0]} (${String(l.status)})`);
    const reloads = run.log.filter((l) => l.msg === 'step' && l.step === `restart ${PROXY_UNIT}` && l.status === 'changed').map((l) => `${String(l.host)} ${String(l.detail)}`);
    numbers.push([
      `add cp2: apply ${secs(applyMs)} (exit ${run.code}); /readyz polls ${stats.requests}, failed ${stats.failed.length}, longest gap between answers ${stats.longestGapMs} ms, slowest answer ${stats.slowestMs} ms; load average ${load0.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)}; ${said}`,
      `    restarted: ${restarted.join('; ')}`,
      `    proxy drain steps: ${drains.join('; ') || 'none'}`,
      `    proxy config changes: ${reloads.join('; ') || 'none'}`,
      ...run.log.filter((r) => r.msg === 'rollout').map((r) => `    rollout ${at(Number(r.time))} ${String(r.phase)}: ${String(r.host ?? '')} ${String(r.message)}`),
      ...stats.failed.slice(0, 30).map((p) => `    FAILED poll ${at(p.at)} (${p.end - p.at} ms): ${pollWhy(p)}`),
    ].join('\n'));
    console.log(numbers.at(-1));
    timings.push(`add cp2 ${secs(applyMs)}`);
    expect(run.code, run.stderr).toBe(0);
    expect.soft(polls.length, 'polls made').toBeGreaterThan(50);
    await expectNodesReady(['cp1', 'cp2', 'wk1'], 'after adding cp2');
    // cp1's apiserver restarted for its new certificate, taken out of the proxies first; cp2's started.
    const byHost = new Map(summaryOf(run).map((s) => [s.host, s.restarted]));
    expect.soft(byHost.get('cp1'), 'cp1 restarts its apiserver (new SANs)').toContain('kube-apiserver.service');
    expect.soft(drains.some((d) => / cp1 .*mark cp1 down/.test(d) || / wk1 mark cp1 down/.test(d)), 'cp1 drained from the proxies').toBe(true);
    // The proxies already running took the new upstream list by a reload: same nginx master process.
    for (const h of ['cp1', 'wk1'] as const) {
      expect.soft(byHost.get(h) ?? [], `${h}'s proxy not restarted`).not.toContain(PROXY_UNIT);
      expect.soft(await nginxMaster(h), `${h}'s nginx master process kept`).toBe(masters[h]);
    }
    for (const h of ['cp1', 'wk1', 'cp2']) {
      const conf = env.group.host(h).readFile(PROXY_CONF);
      expect.soft(conf, `${h}'s proxy lists cp2`).toContain(`${env.group.host('cp2').ip}:6443`);
      expect.soft(conf, `${h}'s proxy has no apiserver marked down`).not.toMatch(/ down /);
    }
    expect.soft((await hostSh(env.group.host('cp2'), 'systemctl is-active kube-apiserver kube-controller-manager kube-scheduler kubelet')).trim().split('\n')).toEqual(['active', 'active', 'active', 'active']);
    expect(stats.failed.map(pollWhy), 'failed /readyz polls through wk1\'s local proxy').toEqual([]);
    expect(polls.every(pollOk)).toBe(true);
  }, 1_200_000);

  it('wk2 added with apply --limit wk2: only wk2 written, its kubelet approved, Ready', async () => {
    const { env, timings } = get();
    env.writeInventory('inventory.yaml');
    const t0 = Date.now();
    const run = await runCli(['apply', '-i', env.inventory, '--limit', 'wk2'], env.dir, 600_000);
    const ms = Date.now() - t0;
    const ready0 = Date.now();
    await expectNodesReady(['cp1', 'cp2', 'wk1', 'wk2'], 'after adding wk2');
    const phases = run.log.filter((r) => r.msg === 'phase-done').map((r) => `${String(r.phase)} ${Number(r.durationMs ?? 0) > 0 ? secs(Number(r.durationMs)) : ''}`.trim());
    numbers.push(`add wk2 (apply --limit wk2): ${secs(ms)} (exit ${run.code}), Ready ${secs(Date.now() - ready0)} after it returned; phases: ${phases.join(', ')}`);
    console.log(numbers.at(-1));
    timings.push(`add wk2 ${secs(ms)}`);
    expect(run.code, run.stderr).toBe(0);
    const written = run.log.filter((l) => l.msg === 'step' && l.status === 'changed').map((l) => String(l.host));
    expect([...new Set(written)]).toEqual(['wk2']);
    expect(summaryOf(run).map((s) => s.host)).toEqual(['wk2']);
  }, 900_000);

  it('a full apply then adds wk2 to the other hosts\' /etc/hosts block and restarts nothing', async () => {
    const { env } = get();
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 600_000);
    expect(run.code, run.stderr).toBe(0);
    const changed = run.log.filter((l) => l.msg === 'step' && l.status === 'changed').map((l) => `${String(l.host)}: ${String(l.step)}`);
    expect(changed.every((c) => /\/etc\/hosts/.test(c)), changed.join('\n')).toBe(true);
    expect(summaryOf(run).flatMap((s) => s.restarted)).toEqual([]);
  }, 900_000);

  it('the next apply changes nothing and restarts nothing', async () => {
    const { env, timings } = get();
    const t0 = Date.now();
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 600_000);
    timings.push(`re-apply ${secs(Date.now() - t0)}`);
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run).map((s) => [s.host, s.changed, s.restarted])).toEqual(summaryOf(run).map((s) => [s.host, 0, []]));
  }, 900_000);

  it('kubesmith remove cp2 under the poller: out of every proxy before its apiserver stops, no failed poll; the Node is gone', async () => {
    const { env, timings } = get();
    const masters = { cp1: await nginxMaster('cp1'), wk1: await nginxMaster('wk1') };
    const { result: run, polls, t0, ms } = await polled(() => runCli(['remove', '-i', env.inventory, 'cp2'], env.dir, 600_000));
    const stats = pollStats(polls);
    numbers.push([
      `remove cp2: ${secs(ms)} (exit ${run.code}); /readyz polls ${stats.requests}, failed ${stats.failed.length}, longest gap ${stats.longestGapMs} ms`,
      ...stats.failed.slice(0, 20).map((p) => `    FAILED poll +${((p.at - t0) / 1000).toFixed(2)} s: ${pollWhy(p)}`),
    ].join('\n'));
    console.log(numbers.at(-1), `\n${run.stdout}\n${run.stderr}`);
    timings.push(`remove cp2 ${secs(ms)}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/cp2 was taken out of every API proxy before its kube-apiserver/);
    expect(get().kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}']).split(' ').sort()).toEqual(['cp1', 'wk1', 'wk2']);
    expect((await hostSh(env.group.host('cp2'), 'systemctl is-active kube-apiserver kubelet kubesmith-apiserver-proxy || true')).trim().split('\n')).toEqual(['inactive', 'inactive', 'inactive']);
    for (const h of ['cp1', 'wk1'] as const) {
      expect.soft(env.group.host(h).readFile(PROXY_CONF), `cp2 marked down in ${h}'s proxy`).toContain(`${env.group.host('cp2').ip}:6443 down `);
      expect.soft(await nginxMaster(h), `${h}'s nginx reloaded, not restarted`).toBe(masters[h]);
    }
    expect(stats.failed.map(pollWhy), "failed /readyz polls through wk1's local proxy").toEqual([]);
    expect(polls.length).toBeGreaterThan(20);
  }, 900_000);

  it('cp2 deleted from the inventory, apply: the proxies reload without it; cp1 serves alone', async () => {
    const { env, timings } = get();
    const master = await nginxMaster('wk1');
    env.writeInventory('inventory.yaml', { without: ['cp2'] });
    const t0 = Date.now();
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 900_000);
    timings.push(`apply without cp2 ${secs(Date.now() - t0)}`);
    expect(run.code, run.stderr).toBe(0);
    const conf = env.group.host('wk1').readFile(PROXY_CONF);
    expect(conf).not.toContain(env.group.host('cp2').ip);
    expect(conf).not.toMatch(/ down /);
    expect(await nginxMaster('wk1'), "wk1's proxy reloaded").toBe(master);
    await expectNodesReady(['cp1', 'wk1', 'wk2'], 'after the apply without cp2');
  }, 900_000);
});
