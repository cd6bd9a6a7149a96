/**
 * The whole way with real Kubernetes: `kubesmith apply` on three test hosts (systemd-nspawn + sshd +
 * systemd, test-hosts.md): cp1 runs etcd and the control plane, wk1 and wk2 etcd and a worker, and
 * cp1's kubelet joins as a node too. Then etcd is healthy, every apiserver answers /readyz, the
 * controller-manager and scheduler hold their leases, the kubelets bootstrapped with the token and
 * got client and serving certificates (approved by kubesmith, or the controller-manager's
 * node-client auto-approver for the token's client CSR), nodes are Ready; busybox pods run on each
 * worker, `kubectl logs/exec` work, pod-to-pod across nodes and a Service ClusterIP answer;
 * `kubesmith status` shows it; a second apply changes nothing and restarts nothing.
 *
 * KUBESMITH_E2E_K8S_BUNDLE names a kubernetes-server-linux-amd64.tar.gz (no registry here has
 * one); the version under test is read from its kubectl, so one run covers one minor (v1.36.3, or
 * v1.35.6 with its tarball). There are no flannel/CoreDNS images here: the inventory says
 * `cni: none`, `coredns: false`, and the test-host preparation writes a bridge conflist per node
 * (Debian's containernetworking-plugins, shipped by the bundle into /opt/cni/bin) with a pod subnet
 * the test picks inside cluster.podCIDR (10.244.100+i.0/24, clear of the controller-manager's
 * first /24s) and routes to the other nodes' subnets, as the operator's own CNI would. The pause
 * and busybox images are built by test/support/oci-image.ts.
 *
 * nspawn specifics (test-hosts.md): cgroup v1 hybrid, so `kubelet.failCgroupV1: false`; no loadable
 * nf_conntrack, so `kubeProxy.conntrack.maxPerCore: 0`; this machine has no `nft` binary, so
 * kube-proxy runs in iptables mode (nftables mode execs nft).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTarball } from '../../src/kube/addons.js';
import { canBootHosts, type TestHost } from '../support/test-hosts.js';
import { buildBusyboxImage, buildPauseImage, fileSha256Sync, ociToolsMissing } from '../support/oci-image.js';
import { etcdctlFromTest, runCli, setupApplyEnv, summaryOf, type ApplyEnv } from './apply-env.js';

const BUNDLE = process.env.KUBESMITH_E2E_K8S_BUNDLE;
const can = canBootHosts();
const reason = !BUNDLE
  ? 'KUBESMITH_E2E_K8S_BUNDLE not set: no kube-apiserver binary is available from any registry here'
  : (ociToolsMissing() ?? (!can.ok ? can.reason : undefined));
if (reason) console.log(`test/hosts/apply-k8s.e2e.test.ts skipped: ${reason}`);

const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const NAMES = HOSTS.map((h) => h.name);
const PAUSE = 'registry.k8s.io/pause:3.10';
const BUSYBOX = 'kubesmith.test/busybox:e2e';
/** The pod subnet the test's CNI config gives host i (inside the default podCIDR 10.244.0.0/16). */
const podSubnet = (i: number): string => `10.244.${100 + i}`;

/**
 * Test-host preparation (test-hosts.md; not product behaviour): cgroup-v1 controllers read-write,
 * /dev/kmsg for the kubelet, and the sysctls the kubelet insists on bind-mounted as read-only files
 * because /proc/sys is read-only inside nspawn. Run before apply, so before containerd and kubelet.
 */
const PREPARE = [
  'set -e',
  'for c in /sys/fs/cgroup/*/; do mount -o remount,bind,rw "$c" 2>/dev/null || true; done',
  '[ -e /dev/kmsg ] || ln -s /dev/console /dev/kmsg',
  'mkdir -p /run/kubesmith-test-sysctl',
  'for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do',
  '  k=${kv%%=*}; v=${kv#*=}; f=/run/kubesmith-test-sysctl/$(echo "$k" | tr / .)',
  '  [ "$(cat /proc/sys/$k)" = "$v" ] && continue',
  '  echo "$v" > "$f"; mount --bind -o ro "$f" /proc/sys/$k',
  'done',
].join('\n');

/** The pod network the operator's CNI would provide (`cni: none`): a bridge on this node's subnet, routes to the others'. */
function podNetwork(hosts: readonly TestHost[], i: number): string {
  const conf = {
    cniVersion: '0.4.0',
    name: 'e2e-bridge',
    plugins: [{ type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: `${podSubnet(i)}.0/24` }]], routes: [{ dst: '0.0.0.0/0' }] } }],
  };
  const routes = hosts.flatMap((h, j) => (j === i ? [] : [`ip route replace ${podSubnet(j)}.0/24 via ${h.ip}`]));
  return ['set -e', 'mkdir -p /etc/cni/net.d', `cat > /etc/cni/net.d/10-e2e-bridge.conflist <<'EOF'\n${JSON.stringify(conf)}\nEOF`, ...routes].join('\n');
}

async function ssh(h: TestHost, cmd: string): Promise<string> {
  const r = await h.ssh(cmd, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${h.name}: \`${cmd.split('\n')[0]}\` exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The version the bundle's kubectl reports, and that kubectl (extracted) for the test's own checks. */
function bundleKubectl(bundle: string, dir: string): { version: string; kubectl: string } {
  execFileSync('tar', ['-xzf', bundle, '-C', dir, 'kubernetes/server/bin/kubectl']);
  const kubectl = join(dir, 'kubernetes/server/bin/kubectl');
  const out = JSON.parse(execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion: { gitVersion: string } };
  const version = /^v\d+\.\d+\.\d+/.exec(out.clientVersion.gitVersion)?.[0];
  if (!version) throw new Error(`${bundle}: kubectl reports ${out.clientVersion.gitVersion}`);
  return { version, kubectl };
}

describe.skipIf(reason !== undefined)('apply with real Kubernetes binaries on test hosts', () => {
  let env: ApplyEnv;
  let kube: { version: string; kubectl: string };
  const kubectl = (args: readonly string[], input?: string): string =>
    execFileSync(kube.kubectl, ['--kubeconfig', join(env.stateDir, 'admin.kubeconfig'), ...args], { encoding: 'utf8', timeout: 60_000, ...(input ? { input } : {}) });
  const timings: string[] = [];
  const work = join('/tmp', `ks-k8s-${process.pid}`);

  beforeAll(async () => {
    mkdirSync(work, { recursive: true });
    kube = bundleKubectl(BUNDLE as string, work);
    env = await setupApplyEnv(HOSTS, {
      inventory: {
        kubernetesVersion: kube.version,
        cluster: ['cni: none', 'coredns: false', 'proxyMode: iptables'],
        containerd: [`sandboxImage: ${PAUSE}`],
        top: ['kubelet:', '  failCgroupV1: false', 'kubeProxy:', '  conntrack:', '    maxPerCore: 0'],
      },
    });
    const bundleDir = join(env.dir, 'bundle');
    buildPauseImage(PAUSE, join(bundleDir, imageTarball(PAUSE)));
    appendFileSync(join(bundleDir, 'SHA256SUMS'), `${fileSha256Sync(join(bundleDir, imageTarball(PAUSE)))}  ${imageTarball(PAUSE)}\n`);
    buildBusyboxImage(BUSYBOX, join(work, 'busybox.tar'));
    const hosts = env.group.hosts;
    await Promise.all(hosts.map(async (h, i) => {
      await ssh(h, PREPARE);
      await ssh(h, podNetwork(hosts, i));
      writeFileSync(h.path('/root/busybox.tar'), execFileSync('cat', [join(work, 'busybox.tar')]));
    }));
  }, 300_000);
  afterAll(async () => {
    if (timings.length > 0) console.log(`timings (${kube?.version}): ${timings.join('; ')}`);
    // KUBESMITH_E2E_KEEP=1 also keeps each host's journal next to the run logs (the hosts' disks go).
    if (process.env.KUBESMITH_E2E_KEEP !== undefined && env) {
      await Promise.all(env.group.hosts.map(async (h) => writeFileSync(join(env.dir, `journal-${h.name}.txt`), (await h.ssh('journalctl -b --no-pager -o short-precise', { timeoutMs: 60_000 })).stdout)));
    }
    // Pods make a host slow to power off: stop kubelet, then the pods' processes (kubepods.slice with
    // the systemd cgroup driver; killing the shims leaves them running and nspawn's SIGTERM timed
    // out), containerd, then the control plane and etcd (test-hosts.md).
    await Promise.all((env?.group.hosts ?? []).map((h) => h.ssh('systemctl stop kubelet; systemctl stop kubepods.slice kube-proxy containerd; pkill -KILL -f containerd-shim; systemctl stop kube-apiserver kube-controller-manager kube-scheduler etcd; true')));
    await env?.close();
    rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('control plane ready, etcd healthy, leases held, kubelets bootstrapped and approved, nodes Ready', async () => {
    const t0 = Date.now();
    const run = await env.apply();
    timings.push(`empty fleet to all nodes Ready (first apply) ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(run.stderr);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/kube-apiserver.service: ready \(\/readyz\)/);
    expect(run.stderr).toMatch(/cluster objects via cp1's apiserver: \d+ created/);
    // The pause image went into every node's containerd before its kubelet started.
    expect(run.log.filter((r) => r.msg === 'step' && String(r.step).includes('images import') && String(r.step).includes(imageTarball(PAUSE))).map((r) => r.host).sort()).toEqual(NAMES);
    for (const n of NAMES) expect(run.stderr).toMatch(new RegExp(`${n}\\s+issued\\s+issued\\s+Ready`));
    // Independently of kubesmith, with the bundle's kubectl and the admin kubeconfig apply left.
    expect(etcdctlFromTest(env, NAMES, ['endpoint', 'health']).match(/is healthy/g)).toHaveLength(3);
    expect(kubectl(['get', '--raw', '/readyz'])).toBe('ok');
    for (const lease of ['kube-controller-manager', 'kube-scheduler']) {
      expect(kubectl(['-n', 'kube-system', 'get', 'lease', lease, '-o', 'jsonpath={.spec.holderIdentity}']), lease).toMatch(/^cp1_/);
    }
    expect(kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']).trim().split(' ').sort()).toEqual(NAMES.map((n) => `${n}=True`));
    expect(kubectl(['version', '-o', 'json'])).toContain(`"gitVersion": "${kube.version}`);
    // Every CSR is a node's: client (via the token) and serving, each approved, serving ones by kubesmith.
    const csrs = JSON.parse(kubectl(['get', 'csr', '-o', 'json'])) as { items: { spec: { signerName: string; username: string }; status: { conditions?: { type: string; reason: string }[] } }[] };
    const seen = csrs.items.map((c) => `${c.spec.signerName} ${c.status.conditions?.map((x) => `${x.type}/${x.reason}`).join(',')}`).sort();
    expect(seen.filter((s) => s.startsWith('kubernetes.io/kubelet-serving'))).toEqual(NAMES.map(() => 'kubernetes.io/kubelet-serving Approved/KubesmithApprove'));
    expect(seen.filter((s) => s.startsWith('kubernetes.io/kube-apiserver-client-kubelet'))).toHaveLength(3);
    for (const s of seen) expect(s).toMatch(/^kubernetes\.io\/(kubelet-serving|kube-apiserver-client-kubelet) Approved\/(KubesmithApprove|AutoApproved)$/);
  }, 600_000);

  it('busybox pods run on each worker; logs, exec, pod-to-pod across nodes and a Service ClusterIP answer', async () => {
    const workers = env.group.hosts.filter((h) => h.name.startsWith('wk'));
    await Promise.all(workers.map((h) => ssh(h, `/usr/local/bin/ctr --address /run/containerd/containerd.sock -n k8s.io images import --snapshotter native /root/busybox.tar`)));
    const pod = (node: string): string => JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${node}`, labels: { app: `web-${node}` } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': node },
        containers: [{ name: 'web', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sh', '-c', 'hostname > /www/index.html; echo started; exec httpd -f -p 8080 -h /www'] }],
      },
    });
    const svc = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web-wk2' }, ports: [{ port: 80, targetPort: 8080 }] } });
    for (const w of workers) kubectl(['apply', '-f', '-'], pod(w.name));
    kubectl(['apply', '-f', '-'], svc);
    kubectl(['wait', '--for=condition=Ready', '--timeout=120s', 'pod/web-wk1', 'pod/web-wk2']);
    expect(kubectl(['get', 'pod', 'web-wk1', 'web-wk2', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {end}']).trim()).toBe('wk1 wk2');
    expect(kubectl(['logs', 'web-wk1'])).toContain('started');
    expect(kubectl(['exec', 'web-wk1', '--', 'cat', '/www/index.html']).trim()).toBe('web-wk1');
    // busybox-static's wget segfaults in a root without glibc's NSS files (exit 139, also outside
    // Kubernetes); its nc does not, so HTTP goes through nc from the pod on wk1.
    const httpGet = (hostPort: string): string =>
      kubectl(['exec', 'web-wk1', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${hostPort}`]);
    const ip2 = kubectl(['get', 'pod', 'web-wk2', '-o', 'jsonpath={.status.podIP}']);
    expect(ip2).toMatch(new RegExp(`^${podSubnet(2).replace(/\./g, '\\.')}\\.`));
    expect(httpGet(`${ip2} 8080`)).toContain('web-wk2');
    const clusterIP = kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    let via = '';
    for (let i = 0; i < 20 && via !== 'web-wk2'; i += 1) {
      // kube-proxy programs the Service a moment after it appears.
      try {
        via = httpGet(`${clusterIP} 80`).trim().split('\n').at(-1)?.trim() ?? '';
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    expect(via).toBe('web-wk2');
  }, 300_000);

  it('`kubesmith status` shows the nodes Ready', async () => {
    const status = await runCli(['status', '-i', env.inventory], env.dir);
    console.log(status.stdout);
    expect(status.code, status.stderr).toBe(0);
    for (const n of NAMES) expect(status.stdout).toMatch(new RegExp(`${n}\\b.*(?<!Not)Ready`));
  });

  it('a second apply changes nothing: objects unchanged, no CSR left to approve, nothing restarted', async () => {
    const t0 = Date.now();
    const run = await env.apply();
    timings.push(`no-change re-apply ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/cluster objects via cp1's apiserver: \d+ unchanged$/m);
    expect(summaryOf(run).map((s) => [s.host, s.changed, s.restarted.length])).toEqual(NAMES.map((n) => [n, 0, 0]));
  }, 300_000);
});

describe.skipIf(reason === undefined)('apply with real Kubernetes binaries on test hosts', () => {
  it.skip(`skipped: ${reason ?? ''}`, () => undefined);
});
