/**
 * The whole way with real Kubernetes: `kubesmith apply` on three test hosts (systemd-nspawn + sshd +
 * systemd, test-hosts.md) brings up etcd and the control plane, applies the cluster objects
 * (cluster-bootstrap: kubeadm:cluster-admins binding as super-admin, bootstrap token + RBAC,
 * flannel, CoreDNS), imports the bundle's images into containerd, starts kubelets that bootstrap
 * with the token, approves their client and serving CSRs (approve-kubelet-csrs) and sees the nodes
 * registered and Ready; then `kubesmith status` shows them and a second apply changes nothing.
 *
 * Needs what no registry here provides: KUBESMITH_E2E_K8S_BUNDLE (an official
 * kubernetes-server-linux-amd64.tar.gz) and KUBESMITH_E2E_K8S_IMAGES (a directory with the image
 * tarballs the plan names: pause, flannel-cni-plugin, flannel, coredns as `<name>_<tag>.tar`, OCI
 * archives from `ctr images export`). Without them the test is skipped with the reason printed.
 * Written against test-hosts.md "A real Kubernetes node inside a test host"; it has not run here.
 */
import { copyFileSync, existsSync, readFileSync, appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTarball, nodeImages } from '../../src/kube/addons.js';
import { canBootHosts, type TestHost } from '../support/test-hosts.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { runCli, setupApplyEnv, summaryOf, type ApplyEnv } from './apply-env.js';

const BUNDLE = process.env.KUBESMITH_E2E_K8S_BUNDLE;
const IMAGES = process.env.KUBESMITH_E2E_K8S_IMAGES;
const can = canBootHosts();
const reason = !BUNDLE
  ? 'KUBESMITH_E2E_K8S_BUNDLE not set: no kube-apiserver binary is available from any registry here'
  : !IMAGES
    ? 'KUBESMITH_E2E_K8S_IMAGES not set: the pause/flannel/CoreDNS image tarballs the plan needs are not available here'
    : !can.ok
      ? can.reason
      : undefined;
if (reason) console.log(`test/hosts/apply-k8s.e2e.test.ts skipped: ${reason}`);

const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];

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

async function prepare(h: TestHost): Promise<void> {
  const r = await h.ssh(PREPARE);
  if (r.code !== 0) throw new Error(`${h.name}: test-host preparation failed: ${r.stderr}`);
}

/** Copies the image tarballs into the test bundle with their sha256 in SHA256SUMS. */
function addImages(bundleDir: string, from: string): void {
  for (const file of nodeImages(exampleInventory()).map(imageTarball)) {
    const src = join(from, file);
    if (!existsSync(src)) throw new Error(`${src}: missing (KUBESMITH_E2E_K8S_IMAGES must hold every image tarball the plan names)`);
    copyFileSync(src, join(bundleDir, file));
    appendFileSync(join(bundleDir, 'SHA256SUMS'), `${createHash('sha256').update(readFileSync(src)).digest('hex')}  ${file}\n`);
  }
}

describe.skipIf(reason !== undefined)('apply with real Kubernetes binaries on test hosts', () => {
  let env: ApplyEnv;
  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS); // KUBESMITH_E2E_K8S_BUNDLE makes it use the real kubernetes tarball
    addImages(join(env.dir, 'bundle'), IMAGES as string);
    await Promise.all(env.group.hosts.map(prepare));
  });
  afterAll(async () => {
    // Pods make a host slow to power off: stop kubelet and containerd first (test-hosts.md).
    await Promise.all((env?.group.hosts ?? []).map((h) => h.ssh('systemctl stop kubelet containerd; pkill -KILL -f containerd-shim || true')));
    await env?.close();
  });

  it('control plane ready, cluster objects applied, kubelets bootstrapped and approved, nodes Ready', async () => {
    const run = await env.apply();
    console.log(run.stderr);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/kube-apiserver.service: ready \(\/readyz\)/);
    expect(run.stderr).toMatch(/cluster objects via cp1's apiserver: \d+ created/);
    expect(run.stderr).toMatch(/images import/);
    for (const n of HOSTS.map((h) => h.name)) expect(run.stderr).toMatch(new RegExp(`${n}\\s+issued\\s+issued\\s+Ready`));
    // Independently of kubesmith: kubectl on the control-plane host with the admin kubeconfig it shipped.
    const nodes = await env.group.host('cp1').ssh('/opt/kubernetes/bin/kubectl --kubeconfig /opt/kubernetes/cfg/kube-controller-manager.kubeconfig --server https://127.0.0.1:6443 get nodes -o name');
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(HOSTS.map((h) => `node/${h.name}`).sort());
  });

  it('`kubesmith status` shows the nodes Ready', async () => {
    const status = await runCli(['status', '-i', env.inventory], env.dir);
    expect(status.code, status.stderr).toBe(0);
    for (const n of HOSTS.map((h) => h.name)) expect(status.stdout).toContain(n);
    expect(status.stdout).toMatch(/Ready/);
  });

  it('a second apply changes nothing: objects unchanged, no CSR left to approve, nothing restarted', async () => {
    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/cluster objects via cp1's apiserver: \d+ unchanged$/m);
    expect(summaryOf(run).map((s) => [s.host, s.changed, s.restarted.length])).toEqual(HOSTS.map((h) => [h.name, 0, 0]));
  });
});

describe.skipIf(reason === undefined)('apply with real Kubernetes binaries on test hosts', () => {
  it.skip(`skipped: ${reason ?? ''}`, () => undefined);
});
