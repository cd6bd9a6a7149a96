/**
 * API high availability with real Kubernetes (#14): two control planes, each variant on its own
 * three test hosts (the machine has two cores), one after the other:
 * - local-proxy: cp1 and cp2 run etcd and the control plane, wk1 etcd and a worker; nginx (stream)
 *   on every node owns 127.0.0.1:6443 and balances to both apiservers (src/render/endpoints.ts);
 * - vip: the same, and cp1/cp2 are also the loadbalancer hosts: nginx on vipPort 16443 (so it
 *   shares the host with kube-apiserver on 6443, which validate-ports allows) behind keepalived,
 *   which holds a VIP (an unused address of the test bridge, .100) on host0. Nodes and the admin
 *   kubeconfig use https://VIP:16443.
 * Every node (cp1, cp2 and wk1) runs a kubelet. The common checks are k8s-checks.ts (etcd, every
 * apiserver's /readyz, leases, CSRs, nodes Ready, pods with logs/exec, a Service through
 * kube-proxy, status, a no-change re-apply). Then, for HA itself: with cp1's kube-apiserver
 * stopped, the API still answers through the local proxy on wk1 (127.0.0.1:6443) or through the
 * VIP; with ha: vip, stopping cp1's nginx moves the VIP to cp2 (keepalived's track script).
 *
 * Needs KUBESMITH_E2E_K8S_BUNDLE (see apply-k8s.e2e.test.ts); one variant: `-t local-proxy` or `-t vip`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHostGroup } from '../support/test-hosts.js';
import { k8sChecks } from './k8s-checks.js';
import { hostSh, k8sSkipReason, setupK8sEnv, teardownK8sEnv, type K8sEnv } from './k8s-env.js';

const reason = k8sSkipReason('test/hosts/apply-k8s-ha.e2e.test.ts');

const NODES = ['cp1', 'cp2', 'wk1'];
const TOPOLOGY = { nodes: NODES, etcd: NODES, controlPlanes: ['cp1', 'cp2'], podNodes: ['wk1', 'cp2'] } as const;
/** An address of the group's bridge no host uses (hosts are .11 and up, the machine .1). */
const vipOf = (group: TestHostGroup): string => group.gateway.replace(/\.1$/, '.100');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` once a second until it is true or `seconds` pass; says whether it became true. */
async function until(seconds: number, probe: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < seconds; i += 1) {
    if (await probe()) return true;
    await sleep(1000);
  }
  return probe();
}

for (const mode of ['local-proxy', 'vip'] as const) {
  describe.skipIf(reason !== undefined)(`apply with real Kubernetes, two control planes, ha: ${mode}`, () => {
    let k: K8sEnv | undefined;
    const get = (): K8sEnv => k as K8sEnv;
    beforeAll(async () => {
      const lb = mode === 'vip' ? ['loadbalancer'] : [];
      k = await setupK8sEnv(
        [
          { name: 'cp1', roles: ['etcd', 'control-plane', ...lb] },
          { name: 'cp2', roles: ['etcd', 'control-plane', ...lb] },
          { name: 'wk1', roles: ['etcd', 'worker'] },
        ],
        (group) => ({
          cluster: mode === 'vip' ? ['apiServer:', '  ha: vip', `  vip: ${vipOf(group)}`, '  vipInterface: host0'] : ['apiServer:', '  ha: local-proxy'],
        }),
      );
    }, 300_000);
    afterAll(() => teardownK8sEnv(k, `ha: ${mode}`), 300_000);

    k8sChecks(get, TOPOLOGY);

    it(`the API stays reachable through ${mode === 'vip' ? 'the VIP' : "wk1's local proxy"} while cp1's kube-apiserver is stopped`, async () => {
      const { env, kubectl, kubectlPath } = get();
      const [cp1, wk1] = [env.group.host('cp1'), env.group.host('wk1')];
      const server = mode === 'vip' ? `https://${vipOf(env.group)}:16443` : 'https://127.0.0.1:6443';
      // kube-proxy's credential on wk1 (system:node-proxier may get nodes) with the bundle's kubectl.
      expect(wk1.readFile('/opt/kubernetes/cfg/kube-proxy.kubeconfig')).toContain(`server: ${server}`);
      writeFileSync(wk1.path('/root/kubectl'), readFileSync(kubectlPath), { mode: 0o755 });
      const fromWk1 = (args: string): Promise<string> => hostSh(wk1, `/root/kubectl --kubeconfig /opt/kubernetes/cfg/kube-proxy.kubeconfig --request-timeout=10s ${args}`);
      await hostSh(cp1, 'systemctl stop kube-apiserver');
      try {
        expect(() => kubectl(['--server', `https://${cp1.ip}:6443`, '--request-timeout=5s', 'get', '--raw', '/readyz'])).toThrow();
        // Several requests: nginx round-robins, so some go to cp1 first and must be passed on to cp2.
        for (let i = 0; i < 6; i += 1) {
          expect((await fromWk1('get --raw /readyz')).trim()).toBe('ok');
          expect((await fromWk1('get node wk1 -o name')).trim()).toBe('node/wk1');
          if (mode === 'vip') expect(kubectl(['--request-timeout=10s', 'get', '--raw', '/readyz'])).toBe('ok');
        }
      } finally {
        await hostSh(cp1, 'systemctl start kube-apiserver');
      }
      const back = await until(120, async () => (await cp1.ssh(`curl -sk https://${cp1.ip}:6443/readyz`)).stdout === 'ok');
      expect(back, "cp1's kube-apiserver /readyz after its restart").toBe(true);
    }, 300_000);

    it.runIf(mode === 'vip')('keepalived moves the VIP to cp2 when nginx stops on cp1, and back when it returns', async () => {
      const { env, kubectl } = get();
      const vip = vipOf(env.group);
      const holds = async (name: string): Promise<boolean> => (await hostSh(env.group.host(name), 'ip -o -4 addr show dev host0')).includes(`inet ${vip}/`);
      // cp1 is the first loadbalancer host: MASTER with the higher priority.
      expect([await holds('cp1'), await holds('cp2')]).toEqual([true, false]);
      await hostSh(env.group.host('cp1'), 'systemctl stop kubesmith-apiserver-lb');
      try {
        // The track script checks every 3 s and fails after 2 misses; then cp2 announces the VIP.
        expect(await until(60, async () => (await holds('cp2')) && !(await holds('cp1'))), 'VIP on cp2 only').toBe(true);
        expect(kubectl(['--request-timeout=10s', 'get', '--raw', '/readyz'])).toBe('ok');
      } finally {
        await hostSh(env.group.host('cp1'), 'systemctl start kubesmith-apiserver-lb');
      }
      expect(await until(60, async () => (await holds('cp1')) && !(await holds('cp2'))), 'VIP back on cp1 only').toBe(true);
      expect(kubectl(['--request-timeout=10s', 'get', '--raw', '/readyz'])).toBe('ok');
    }, 300_000);
  });
}

describe.skipIf(reason === undefined)('apply with real Kubernetes, two control planes', () => {
  it.skip(`skipped: ${reason ?? ''}`, () => undefined);
});
