/**
 * What the real-Kubernetes e2e runs on, checked on the hosts themselves after k8s-checks.ts (its
 * pods and Service `web` still exist): the bundle's containerd is the one serving the kubelets (the
 * Nodes' containerRuntimeVersion, `ctr version`) with the config version kubesmith renders for that
 * release; kube-proxy runs in the expected mode and, in nftables mode, the Service's ClusterIP is
 * in kube-proxy's nftables table and in no iptables chain (so the ClusterIP the pods test reached
 * answered through nftables); every etcd member runs the bundle's etcd, and from 3.6 answers
 * /livez and /readyz. The versions seen are printed for the run's record.
 */
import { expect, it } from 'vitest';
import { hostSh, PROXY_MODE, type K8sEnv } from './k8s-env.js';

/** The hosts the runtime checks look at. */
export interface RuntimeTopology {
  readonly nodes: readonly string[];
  readonly etcd: readonly string[];
}

/** containerd's config version by release (RELEASES.md "Daemon Configuration"; flags-by-version.ts CONTAINERD_RULES). */
function configVersionFor(containerd: string): number {
  const [major = 0, minor = 0] = containerd.split('.').map(Number);
  return major < 2 ? 2 : minor < 3 ? 3 : 4;
}

/** curl's client certificate options for etcd's client URL (the healthcheck-client pair kubesmith installs). */
const ETCD_CLIENT_CERT = '--cacert /opt/etcd/ssl/ca.pem --cert /opt/etcd/ssl/healthcheck-client.pem --key /opt/etcd/ssl/healthcheck-client-key.pem';

/** The fields of etcd's /version JSON the check reads. */
interface EtcdVersionJson {
  readonly etcdserver: string;
  readonly etcdcluster: string;
}

/** Registers the runtime check; `get` returns the env the caller's beforeAll set up. */
export function k8sRuntimeChecks(get: () => K8sEnv, topo: RuntimeTopology): void {
  it('runs on the bundle\'s containerd, kube-proxy in the expected mode, the bundle\'s etcd', async () => {
    const { env, kubectl } = get();
    const seen: string[] = [];
    const ctd = env.bundle.containerdVersion;

    const runtimes = kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.nodeInfo.containerRuntimeVersion} {end}']).trim().split(' ').sort();
    expect(runtimes).toEqual(topo.nodes.map((n) => expect.stringMatching(new RegExp(`^${n}=containerd://${ctd.replace(/\./g, '\\.')}\\b`))).sort());
    seen.push(`Node containerRuntimeVersion ${runtimes.join(' ')}`);
    for (const n of topo.nodes) {
      const h = env.group.host(n);
      const server = await hostSh(h, "/usr/local/bin/ctr --address /run/containerd/containerd.sock version | sed -n '/^Server:/,$p' | awk '/Version:/ {print $2; exit}'");
      expect(server.trim(), `${n}: ctr version (server)`).toMatch(new RegExp(`^${ctd.replace(/\./g, '\\.')}\\b`));
      const cfg = await hostSh(h, "awk -F' *= *' '/^version/ {print $2; exit}' /etc/containerd/config.toml");
      expect(Number(cfg.trim()), `${n}: /etc/containerd/config.toml version`).toBe(configVersionFor(ctd));
      if (n === topo.nodes[0]) seen.push(`${n}: containerd server ${server.trim()}, config version ${cfg.trim()}, ${(await hostSh(h, 'runc --version | head -1')).trim()}, ${(await hostSh(h, 'nft --version 2>/dev/null || echo no nft')).trim()}`);
    }

    const mode = PROXY_MODE ?? 'nftables';
    const clusterIP = kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    for (const n of topo.nodes) {
      const h = env.group.host(n);
      expect((await hostSh(h, 'curl -s http://127.0.0.1:10249/proxyMode')).trim(), `${n}: kube-proxy /proxyMode`).toBe(mode);
      if (mode === 'nftables') {
        // kube-proxy's nftables mode keeps Service IPs in its own table (map service-ips); iptables mode writes KUBE-SVC-* chains.
        expect(await hostSh(h, 'nft list table ip kube-proxy'), `${n}: nft table ip kube-proxy`).toMatch(new RegExp(`\\b${clusterIP.replace(/\./g, '\\.')} \\. tcp \\. 80 : goto service-`));
        expect((await hostSh(h, 'iptables-save 2>/dev/null | grep -c KUBE-SVC- || true')).trim(), `${n}: iptables KUBE-SVC chains`).toBe('0');
      }
    }
    seen.push(`kube-proxy mode ${mode} on ${topo.nodes.join(', ')} (Service web ${clusterIP})`);

    const wantEtcd = env.bundle.etcdVersion.replace(/^v/, '');
    const is36 = Number(wantEtcd.split('.')[1]) >= 6 || Number(wantEtcd.split('.')[0]) > 3;
    for (const m of topo.etcd) {
      const h = env.group.host(m);
      // /version is served on the client URL only (the metrics listener has /metrics and the health endpoints).
      const v = JSON.parse(await hostSh(h, `curl -s ${ETCD_CLIENT_CERT} https://127.0.0.1:2379/version`)) as EtcdVersionJson;
      expect(v.etcdserver, `${m}: etcd /version`).toBe(wantEtcd);
      if (is36) {
        expect((await hostSh(h, 'curl -s http://127.0.0.1:2381/livez')).trim(), `${m}: etcd /livez`).toBe('ok');
        expect(await hostSh(h, "curl -s 'http://127.0.0.1:2381/readyz?verbose'"), `${m}: etcd /readyz`).toMatch(/\[\+\]linearizable_read ok[\s\S]*^ok$/m);
      }
      if (m === topo.etcd[0]) seen.push(`etcd server ${v.etcdserver}, cluster ${v.etcdcluster}${is36 ? ', /livez ok, /readyz ok on every member' : ''}`);
    }
    console.log(`versions seen: ${seen.join('; ')}`);
  }, 120_000);
}
