/**
 * Shared setup of the real-Kubernetes e2e files (apply-k8s.e2e.test.ts, apply-k8s-ha.e2e.test.ts):
 * test hosts prepared to run a kubelet, the bundle with a real kubernetes-server tarball
 * (KUBESMITH_E2E_K8S_BUNDLE) and a pause image, a busybox image for the pods, the bundle's kubectl
 * with the admin kubeconfig apply leaves, and a teardown that powers hosts with pods off quickly.
 *
 * There are no flannel/CoreDNS images here: the inventory says `cni: none`, `coredns: false`, and
 * the test-host preparation writes a bridge conflist per node (Debian's containernetworking-plugins,
 * shipped by the bundle into /opt/cni/bin) with a pod subnet the test picks inside cluster.podCIDR
 * (10.244.100+i.0/24, clear of the controller-manager's first /24s) and routes to the other nodes'
 * subnets, as the operator's own CNI would.
 *
 * nspawn specifics (test-hosts.md): cgroup v1 hybrid, so `kubelet.failCgroupV1: false`; no loadable
 * nf_conntrack, so `kubeProxy.conntrack.maxPerCore: 0`. kube-proxy runs in the product's default
 * mode for the version (nftables from v1.35; it execs `nft`, Debian's nftables package, which .ci/run
 * installs); KUBESMITH_E2E_PROXY_MODE=iptables (or ipvs) runs the same checks in another mode.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageTarball } from '../../src/kube/addons.js';
import { canBootHosts, type TestHost, type TestHostGroup } from '../support/test-hosts.js';
import { buildBusyboxImage, buildPauseImage, fileSha256Sync, ociToolsMissing } from '../support/oci-image.js';
import { setupApplyEnv, type ApplyEnv, type HostSpec, type InventoryExtra } from './apply-env.js';

export const PAUSE = 'registry.k8s.io/pause:3.10';
export const BUSYBOX = 'kubesmith.test/busybox:e2e';
/** kube-proxy mode forced by KUBESMITH_E2E_PROXY_MODE, or undefined for the version's default. */
export const PROXY_MODE = process.env.KUBESMITH_E2E_PROXY_MODE || undefined;

/** Why the real-Kubernetes e2e cannot run here (printed and shown as the skip), or undefined. */
export function k8sSkipReason(file: string): string | undefined {
  const can = canBootHosts();
  const reason = !process.env.KUBESMITH_E2E_K8S_BUNDLE
    ? 'KUBESMITH_E2E_K8S_BUNDLE not set: no kube-apiserver binary is available from any registry here'
    : (ociToolsMissing() ?? (!can.ok ? can.reason : undefined));
  if (reason) console.log(`${file} skipped: ${reason}`);
  return reason;
}

/** The pod subnet the test's CNI config gives host i (inside the default podCIDR 10.244.0.0/16), without ".0/24". */
export const podSubnet = (i: number): string => `10.244.${100 + i}`;

/**
 * Test-host preparation (test-hosts.md; not product behaviour): cgroup-v1 controllers read-write,
 * /dev/kmsg for the kubelet, and the sysctls the kubelet insists on bind-mounted as read-only files
 * because /proc/sys is read-only inside nspawn. Run before apply, so before containerd and kubelet.
 * The kubelet's and containerd's state go on a tmpfs of their own: on the overlay they would share
 * the machine's disk with every other test, and the kubelet's default eviction threshold
 * (imagefs.available < 15%) tainted all nodes DiskPressure when that disk was 85.7% full.
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
  'for d in /var/lib/kubelet /var/lib/containerd; do mkdir -p $d; mountpoint -q $d || mount -t tmpfs -o size=4g,mode=0700 tmpfs $d; done',
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

/** Runs `cmd` on `h` as root; throws with the host, the command's first line and its stderr when it fails. */
export async function hostSh(h: TestHost, cmd: string): Promise<string> {
  const r = await h.ssh(cmd, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${h.name}: \`${cmd.split('\n')[0]}\` exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The version the bundle's kubectl reports, and that kubectl (extracted) for the test's own checks. */
export function bundleKubectl(bundle: string, dir: string): { version: string; kubectl: string } {
  execFileSync('tar', ['-xzf', bundle, '-C', dir, 'kubernetes/server/bin/kubectl']);
  const kubectl = join(dir, 'kubernetes/server/bin/kubectl');
  const out = JSON.parse(execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion: { gitVersion: string } };
  const version = /^v\d+\.\d+\.\d+/.exec(out.clientVersion.gitVersion)?.[0];
  if (!version) throw new Error(`${bundle}: kubectl reports ${out.clientVersion.gitVersion}`);
  return { version, kubectl };
}

/** A booted, prepared fleet with its inventory (not applied yet). */
export interface K8sEnv {
  readonly env: ApplyEnv;
  /** Kubernetes version of the bundle (from its kubectl). */
  readonly version: string;
  /** Path of the bundle's kubectl on this machine (copy it onto a host to use it there). */
  readonly kubectlPath: string;
  /** The bundle's kubectl with the admin kubeconfig apply left in the state directory. */
  kubectl(args: readonly string[], input?: string): string;
  /** Lines for the timing summary printed after the file. */
  readonly timings: string[];
}

/**
 * Boots `hosts`, prepares them for a kubelet and a pod network, builds the bundle (real Kubernetes,
 * the pause image) and writes the inventory: the e2e settings above plus `extra(group)`.
 */
export async function setupK8sEnv(hosts: readonly HostSpec[], extra: (group: TestHostGroup) => InventoryExtra = () => ({}), tarball = process.env.KUBESMITH_E2E_K8S_BUNDLE as string): Promise<K8sEnv> {
  const work = join('/tmp', `ks-k8s-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const kube = bundleKubectl(tarball, work);
  const env = await setupApplyEnv(hosts, {
    kubeTarball: tarball,
    inventory: (group) => {
      const more = extra(group);
      return {
        kubernetesVersion: kube.version,
        cluster: ['cni: none', 'coredns: false', ...(PROXY_MODE ? [`proxyMode: ${PROXY_MODE}`] : []), ...(more.cluster ?? [])],
        containerd: [`sandboxImage: ${PAUSE}`, ...(more.containerd ?? [])],
        top: ['kubelet:', '  failCgroupV1: false', 'kubeProxy:', '  conntrack:', '    maxPerCore: 0', ...(more.top ?? [])],
      };
    },
  });
  const bundleDir = join(env.dir, 'bundle');
  buildPauseImage(PAUSE, join(bundleDir, imageTarball(PAUSE)));
  appendFileSync(join(bundleDir, 'SHA256SUMS'), `${fileSha256Sync(join(bundleDir, imageTarball(PAUSE)))}  ${imageTarball(PAUSE)}\n`);
  buildBusyboxImage(BUSYBOX, join(work, 'busybox.tar'));
  const booted = env.group.hosts;
  await Promise.all(booted.map(async (h, i) => {
    await hostSh(h, PREPARE);
    await hostSh(h, podNetwork(booted, i));
    writeFileSync(h.path('/root/busybox.tar'), execFileSync('cat', [join(work, 'busybox.tar')]));
  }));
  return {
    env,
    version: kube.version,
    kubectlPath: kube.kubectl,
    kubectl: (args, input) =>
      execFileSync(kube.kubectl, ['--kubeconfig', join(env.stateDir, 'admin.kubeconfig'), ...args], { encoding: 'utf8', timeout: 60_000, ...(input ? { input } : {}) }),
    timings: [],
  };
}

/**
 * Prints the timings, keeps journals with KUBESMITH_E2E_KEEP=1 (the hosts' disks go), and powers
 * the fleet off. Pods make a host slow to power off: stop kubelet, then the pods' processes
 * (kubepods.slice with the systemd cgroup driver; killing the shims leaves them running and
 * nspawn's SIGTERM timed out), containerd, then the control plane and etcd (test-hosts.md).
 */
export async function teardownK8sEnv(k: K8sEnv | undefined, label: string): Promise<void> {
  if (k && k.timings.length > 0) console.log(`timings (${label}, ${k.version}): ${k.timings.join('; ')}`);
  const env = k?.env;
  if (process.env.KUBESMITH_E2E_KEEP !== undefined && env) {
    await Promise.all(env.group.hosts.map(async (h) => writeFileSync(join(env.dir, `journal-${h.name}.txt`), (await h.ssh('journalctl -b --no-pager -o short-precise', { timeoutMs: 60_000 })).stdout)));
  }
  await Promise.all((env?.group.hosts ?? []).map((h) => h.ssh('systemctl stop kubelet; systemctl stop kubepods.slice kube-proxy containerd; pkill -KILL -f containerd-shim; systemctl stop kube-apiserver kube-controller-manager kube-scheduler; systemctl stop etcd; true')));
  await env?.close();
  rmSync(join('/tmp', `ks-k8s-${process.pid}`), { recursive: true, force: true });
}
