/**
 * The checks every real-Kubernetes e2e makes, as vitest tests registered inside the caller's
 * describe (after its beforeAll set up a K8sEnv, see k8s-env.ts), in this order:
 * 1. first apply on the empty fleet: etcd healthy, every apiserver /readyz, controller-manager and
 *    scheduler hold their leases, kubelets bootstrapped with the token and got client and serving
 *    certificates (approved by kubesmith, or the controller-manager's node-client auto-approver for
 *    the token's client CSR) and no other CSR exists, nodes Ready;
 * 2. busybox pods on two nodes: `kubectl logs/exec`, pod-to-pod across nodes, a Service ClusterIP
 *    through kube-proxy;
 * 3. `kubesmith status` shows every apiserver ready, the leases, etcd and the nodes Ready;
 * 4. a second apply changes nothing and restarts nothing.
 */
import { expect, it } from 'vitest';
import { imageTarball } from '../../src/kube/addons.js';
import { runCli, summaryOf, etcdctlFromTest } from './apply-env.js';
import { BUSYBOX, hostSh, PAUSE, podSubnet, type K8sEnv } from './k8s-env.js';

/** The fleet's shape as the checks need it. */
export interface K8sTopology {
  /** Every host, in inventory order (all run a kubelet): the order of the run's per-host summary. */
  readonly nodes: readonly string[];
  readonly etcd: readonly string[];
  readonly controlPlanes: readonly string[];
  /** Pods go on these two nodes; the first one's pod is the client, the Service selects the second one's. */
  readonly podNodes: readonly [client: string, server: string];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers the four checks; `get` returns the env the caller's beforeAll set up. */
export function k8sChecks(get: () => K8sEnv, topo: K8sTopology): void {
  const first = topo.controlPlanes[0] ?? '';
  const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('control plane ready, etcd healthy, leases held, kubelets bootstrapped and approved, nodes Ready', async () => {
    const { env, kubectl, timings, version } = get();
    const t0 = Date.now();
    // The CLI's own deadline, inside the test's: on a machine shared with other e2e runs the first
    // apply took 300 s (binaries 108 s, load average 13), and runCli's default kill left nodes half done.
    const run = await runCli(['apply', '-i', env.inventory], env.dir, 540_000);
    timings.push(`empty fleet to all nodes Ready (first apply) ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(run.stderr);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/kube-apiserver.service: ready \(\/readyz\)/);
    expect(run.stderr).toMatch(new RegExp(`cluster objects via ${first}'s apiserver: \\d+ created`));
    // The pause image went into every node's containerd before its kubelet started.
    expect(run.log.filter((r) => r.msg === 'step' && String(r.step).includes('images import') && String(r.step).includes(imageTarball(PAUSE))).map((r) => r.host).sort()).toEqual([...topo.nodes].sort());
    for (const n of topo.nodes) expect(run.stderr).toMatch(new RegExp(`${n}\\s+issued\\s+issued\\s+Ready`));
    // Independently of kubesmith, with the bundle's kubectl and the admin kubeconfig apply left.
    expect(etcdctlFromTest(env, topo.etcd, ['endpoint', 'health']).match(/is healthy/g)).toHaveLength(topo.etcd.length);
    expect(kubectl(['get', '--raw', '/readyz'])).toBe('ok');
    for (const cp of topo.controlPlanes) expect(kubectl(['--server', `https://${env.group.host(cp).ip}:6443`, 'get', '--raw', '/readyz']), cp).toBe('ok');
    const holders = new RegExp(`^(${topo.controlPlanes.map(re).join('|')})_`);
    for (const lease of ['kube-controller-manager', 'kube-scheduler']) {
      expect(kubectl(['-n', 'kube-system', 'get', 'lease', lease, '-o', 'jsonpath={.spec.holderIdentity}']), lease).toMatch(holders);
    }
    expect(kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']).trim().split(' ').sort()).toEqual(topo.nodes.map((n) => `${n}=True`).sort());
    expect(kubectl(['version', '-o', 'json'])).toContain(`"gitVersion": "${version}`);
    // Every CSR is a node's: client (via the token) and serving, each approved, serving ones by kubesmith.
    const csrs = JSON.parse(kubectl(['get', 'csr', '-o', 'json'])) as { items: { spec: { signerName: string; username: string }; status: { conditions?: { type: string; reason: string }[] } }[] };
    const seen = csrs.items.map((c) => `${c.spec.signerName} ${c.status.conditions?.map((x) => `${x.type}/${x.reason}`).join(',')}`).sort();
    expect(seen.filter((s) => s.startsWith('kubernetes.io/kubelet-serving'))).toEqual(topo.nodes.map(() => 'kubernetes.io/kubelet-serving Approved/KubesmithApprove'));
    expect(seen.filter((s) => s.startsWith('kubernetes.io/kube-apiserver-client-kubelet'))).toHaveLength(topo.nodes.length);
    for (const s of seen) expect(s).toMatch(/^kubernetes\.io\/(kubelet-serving|kube-apiserver-client-kubelet) Approved\/(KubesmithApprove|AutoApproved)$/);
  }, 600_000);

  it('busybox pods run; logs, exec, pod-to-pod across nodes and a Service ClusterIP answer', async () => {
    const { env, kubectl } = get();
    const [client, server] = topo.podNodes;
    await Promise.all(topo.podNodes.map((n) => hostSh(env.group.host(n), `/usr/local/bin/ctr --address /run/containerd/containerd.sock -n k8s.io images import --snapshotter native /root/busybox.tar`)));
    const pod = (node: string): string => JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${node}`, labels: { app: `web-${node}` } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': node },
        containers: [{ name: 'web', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sh', '-c', 'hostname > /www/index.html; echo started; exec httpd -f -p 8080 -h /www'] }],
      },
    });
    const svc = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: `web-${server}` }, ports: [{ port: 80, targetPort: 8080 }] } });
    for (const n of topo.podNodes) kubectl(['apply', '-f', '-'], pod(n));
    kubectl(['apply', '-f', '-'], svc);
    kubectl(['wait', '--for=condition=Ready', '--timeout=120s', `pod/web-${client}`, `pod/web-${server}`]);
    expect(kubectl(['get', 'pod', `web-${client}`, `web-${server}`, '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {end}']).trim()).toBe(`${client} ${server}`);
    expect(kubectl(['logs', `web-${client}`])).toContain('started');
    expect(kubectl(['exec', `web-${client}`, '--', 'cat', '/www/index.html']).trim()).toBe(`web-${client}`);
    // busybox-static's wget segfaults in a root without glibc's NSS files (exit 139, also outside
    // Kubernetes); its nc does not, so HTTP goes through nc from the client pod.
    const httpGet = (hostPort: string): string =>
      kubectl(['exec', `web-${client}`, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${hostPort}`]);
    const serverIp = kubectl(['get', 'pod', `web-${server}`, '-o', 'jsonpath={.status.podIP}']);
    expect(serverIp).toMatch(new RegExp(`^${re(podSubnet(env.group.hosts.findIndex((h) => h.name === server)))}\\.`));
    expect(httpGet(`${serverIp} 8080`)).toContain(`web-${server}`);
    const clusterIP = kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    let via = '';
    for (let i = 0; i < 20 && via !== `web-${server}`; i += 1) {
      // kube-proxy programs the Service a moment after it appears.
      try {
        via = httpGet(`${clusterIP} 80`).trim().split('\n').at(-1)?.trim() ?? '';
      } catch {
        await sleep(1000);
      }
    }
    expect(via).toBe(`web-${server}`);
  }, 300_000);

  it('`kubesmith status` shows the apiservers, leases, etcd members and nodes healthy', async () => {
    const { env } = get();
    const status = await runCli(['status', '-i', env.inventory], env.dir);
    console.log(status.stdout);
    expect(status.code, status.stderr).toBe(0);
    for (const n of topo.nodes) expect(status.stdout).toMatch(new RegExp(`${n}\\b.*(?<!Not)Ready`));
    for (const cp of topo.controlPlanes) expect(status.stdout).toMatch(new RegExp(`^${cp}\\s+https://\\S+ via ssh ${cp}\\s+ok`, 'm'));
    for (const lease of ['kube-controller-manager', 'kube-scheduler']) expect(status.stdout).toMatch(new RegExp(`^${lease}\\s+(${topo.controlPlanes.join('|')})_`, 'm'));
    const [n, e, c] = [topo.nodes.length, topo.etcd.length, topo.controlPlanes.length];
    expect(status.stdout).toContain(`healthy: ${n}/${n} nodes Ready, ${e}/${e} etcd members healthy, ${c}/${c} apiservers ready`);
  });

  it('a second apply changes nothing: objects unchanged, no CSR left to approve, nothing restarted', async () => {
    const { env, timings } = get();
    const t0 = Date.now();
    const run = await env.apply();
    timings.push(`no-change re-apply ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`cluster objects via ${first}'s apiserver: \\d+ unchanged$`, 'm'));
    expect(summaryOf(run).map((s) => [s.host, s.changed, s.restarted.length])).toEqual(topo.nodes.map((n) => [n, 0, 0]));
  }, 300_000);
}
