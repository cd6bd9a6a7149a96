/**
 * Pins the rendered flag sets per Kubernetes version (every Kubernetes-dependent unit and config
 * file of the first control-plane host; etcd has its own pins) and checks the version table's own
 * consistency. test/render/flags-table.test.ts checks every rendered flag against the table.
 */
import { describe, expect, it } from 'vitest';
import { appliesTo, ETCD_RULES, K8S_RULES, type VersionRule } from '../../src/render/flags-by-version.js';
import { parseVersion } from '../../src/shared/semver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { planFor } from './support/render.js';

const text = (c: unknown): string => (typeof c === 'string' ? c : '');

/** The ExecStart lines of every Kubernetes unit and the kubelet/kube-proxy config of the first control-plane host. */
async function flagSet(kubernetesVersion: string, proxyMode?: 'ipvs' | 'iptables' | 'nftables'): Promise<string> {
  const base = exampleInventory();
  const cluster = { ...base.cluster, kubernetesVersion, ...(proxyMode ? { proxyMode } : {}) };
  const plan = await planFor(exampleInventory({ cluster }));
  const host = plan.hosts[0]!;
  const out: string[] = [`# kubernetes ${kubernetesVersion}, proxyMode ${cluster.proxyMode}, host ${host.host.name}`];
  for (const a of host.artifacts) {
    if (/etcd/.test(a.path)) continue;
    if (a.kind === 'unit' && /kube/.test(a.path)) {
      const exec = /^ExecStart=([\s\S]*?[^\\])\n/m.exec(text(a.content));
      out.push(`## ${a.path}`, (exec?.[1] ?? '').replace(/ \\\n\s+/g, '\n  '));
    }
    if (/kubelet-config|kube-proxy-config/.test(a.path)) out.push(`## ${a.path}`, text(a.content).replace(/^# Rendered by.*\n/m, ''));
  }
  return `${out.join('\n')}\n`;
}

describe('version-aware flags', () => {
  // The example's proxyMode as each version defaults it (nftables from v1.35, ipvs before).
  for (const [k8s, mode] of [
    ['v1.28.15', 'ipvs'],
    ['v1.33.5', 'ipvs'],
    ['v1.35.6', 'nftables'],
    ['v1.36.3', 'nftables'],
    ['v1.37.2', 'nftables'],
    ['v1.38.0', 'nftables'],
  ] as const) {
    it(`pins the flag set of Kubernetes ${k8s} (${mode})`, async () => {
      await expect(await flagSet(k8s, mode)).toMatchFileSnapshot(`golden/flags/${k8s.replace(/\.\d+$/, '')}.txt`);
    });
  }

  it('renders the runtime endpoint in KubeletConfiguration and never the removed kubelet flags', async () => {
    for (const v of ['v1.28.15', 'v1.34.1', 'v1.35.0']) {
      const s = await flagSet(v);
      expect(s).toContain('containerRuntimeEndpoint: unix:///run/containerd/containerd.sock');
      expect(s).not.toContain('--container-runtime-endpoint');
      expect(s).not.toContain('--pod-infra-container-image');
    }
  });

  it('adds the mixed-version proxy flags from v1.36, only with 2+ control-plane hosts', async () => {
    expect(await flagSet('v1.35.6')).not.toContain('--peer-ca-file');
    const s136 = await flagSet('v1.36.0');
    expect(s136).toContain('--peer-ca-file=/opt/kubernetes/ssl/ca.pem');
    expect(s136).toContain('--peer-advertise-ip=192.168.80.10');
    expect(s136).toContain('--peer-advertise-port=6443');
    const base = exampleInventory();
    const single = exampleInventory({
      cluster: { ...base.cluster, kubernetesVersion: 'v1.37.2', apiServer: { ...base.cluster.apiServer, ha: 'none' } },
      hosts: base.hosts.filter((h) => h.name !== 'master02'),
    });
    const plan = await planFor(single);
    const unit = plan.hosts[0]!.artifacts.find((a) => a.path.endsWith('kube-apiserver.service'));
    expect(text(unit?.content)).toContain('--advertise-address=');
    expect(text(unit?.content)).not.toContain('--peer-');
  });

  it('never renders flags removed before the supported range', async () => {
    const all = await Promise.all(['v1.28.0', 'v1.38.0'].map((v) => flagSet(v)));
    for (const s of all) {
      for (const gone of ['--logtostderr', '--log-dir', '--alsologtostderr', '--network-plugin', '--container-runtime=', '--insecure-port', '--experimental-cluster-signing-duration', '--kubelet-https', '--concurrent-service-syncs']) {
        expect(s).not.toContain(gone);
      }
    }
  });

  it('applies each rule exactly within its range', () => {
    const v = (t: string) => parseVersion(t)!;
    expect(appliesTo(K8S_RULES.kubeletPodInfraImageFlag, v('v1.34.9'))).toBe(true);
    expect(appliesTo(K8S_RULES.kubeletPodInfraImageFlag, v('v1.35.0'))).toBe(false);
    expect(appliesTo(K8S_RULES.kcmConcurrentServiceSyncs, v('v1.36.3'))).toBe(true);
    expect(appliesTo(K8S_RULES.kcmConcurrentServiceSyncs, v('v1.37.0'))).toBe(false);
    expect(appliesTo(K8S_RULES.apiserverPeerProxy, v('v1.35.6'))).toBe(false);
    expect(appliesTo(K8S_RULES.apiserverPeerProxy, v('v1.36.0'))).toBe(true);
    expect(appliesTo(K8S_RULES.kubeProxyNftables, v('v1.32.9'))).toBe(false);
    expect(appliesTo(K8S_RULES.kubeProxyNftables, v('v1.33.0'))).toBe(true);
    expect(appliesTo(K8S_RULES.kubeletRefusesCgroupV1, v('v1.34.3'))).toBe(false);
    expect(appliesTo(K8S_RULES.kubeletRefusesCgroupV1, v('v1.35.0'))).toBe(true);
    expect(appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, v('v1.34.3'))).toBe(false);
    expect(appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, v('v1.35.0'))).toBe(true);
    expect(appliesTo(ETCD_RULES.explicitZapLogger, v('v3.4.23'))).toBe(true);
    expect(appliesTo(ETCD_RULES.explicitZapLogger, v('v3.5.0'))).toBe(false);
    expect(appliesTo(ETCD_RULES.initialCorruptCheck, v('v3.5.0'))).toBe(true);
    // Rules ending before v1.28 never apply in the supported range.
    for (const minor of [28, 33, 38]) {
      for (const r of [K8S_RULES.klogFlagsRemoved, K8S_RULES.kubeletRuntimeEndpointFlag, K8S_RULES.kubeletContainerRuntimeFlag]) expect(appliesTo(r, v(`v1.${minor}.0`))).toBe(false);
    }
  });

  it('documents every rule with a reason and an https link', () => {
    const rules: VersionRule[] = [...Object.values(K8S_RULES), ...Object.values(ETCD_RULES)];
    for (const r of rules) {
      expect(r.why.length).toBeGreaterThan(20);
      expect(r.link).toMatch(/^https:\/\//);
    }
  });
});
