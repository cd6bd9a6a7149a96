/**
 * Pins the rendered flag sets per Kubernetes version (1.26, 1.28, 1.31, 1.35) and the etcd config
 * per etcd version (3.4, 3.5), and checks the version table's own consistency.
 */
import { describe, expect, it } from 'vitest';
import { appliesTo, ETCD_RULES, K8S_RULES, type VersionRule } from '../../src/render/flags-by-version.js';
import { parseVersion } from '../../src/shared/semver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { planFor } from './support/render.js';

const text = (c: unknown): string => (typeof c === 'string' ? c : '');

/** The ExecStart lines of every unit and the version-dependent config files of the first control-plane host. */
async function flagSet(kubernetesVersion: string, etcdVersion: string): Promise<string> {
  const base = exampleInventory();
  const plan = await planFor(exampleInventory({ cluster: { ...base.cluster, kubernetesVersion, etcdVersion } }));
  const host = plan.hosts[0]!;
  const out: string[] = [`# kubernetes ${kubernetesVersion}, etcd ${etcdVersion}, host ${host.host.name}`];
  for (const a of host.artifacts) {
    if (a.kind === 'unit') {
      const exec = /^ExecStart=([\s\S]*?[^\\])\n/m.exec(text(a.content));
      out.push(`## ${a.path}`, (exec?.[1] ?? '').replace(/ \\\n\s+/g, '\n  '));
    }
    if (/kubelet-config|etcd\.conf|kube-proxy-config/.test(a.path)) out.push(`## ${a.path}`, text(a.content).replace(/^# Rendered by.*\n/m, ''));
  }
  return `${out.join('\n')}\n`;
}

describe('version-aware flags', () => {
  for (const [k8s, etcd] of [
    ['v1.26.15', 'v3.4.23'],
    ['v1.28.15', 'v3.5.16'],
    ['v1.31.2', 'v3.5.16'],
    ['v1.35.0', 'v3.5.21'],
  ] as const) {
    it(`pins the flag set of Kubernetes ${k8s} with etcd ${etcd}`, async () => {
      await expect(await flagSet(k8s, etcd)).toMatchFileSnapshot(`golden/flags/${k8s.replace(/\.\d+$/, '')}.txt`);
    });
  }

  it('moves the runtime endpoint from a kubelet flag (1.26) into KubeletConfiguration (1.27+)', async () => {
    const s126 = await flagSet('v1.26.15', 'v3.5.16');
    const s127 = await flagSet('v1.27.16', 'v3.5.16');
    expect(s126).toContain('--container-runtime-endpoint=unix:///run/containerd/containerd.sock');
    expect(s126).not.toContain('containerRuntimeEndpoint:');
    expect(s127).not.toContain('--container-runtime-endpoint');
    expect(s127).toContain('containerRuntimeEndpoint: unix:///run/containerd/containerd.sock');
    expect(s127).not.toContain('--pod-infra-container-image');
  });

  it('never renders flags removed before the supported range', async () => {
    const all = await Promise.all(['v1.26.0', 'v1.35.0'].map((v) => flagSet(v, 'v3.5.16')));
    for (const s of all) {
      for (const gone of ['--logtostderr', '--log-dir', '--alsologtostderr', '--network-plugin', '--container-runtime=', '--insecure-port', '--experimental-cluster-signing-duration', '--kubelet-https']) {
        expect(s).not.toContain(gone);
      }
    }
  });

  it('applies each rule exactly within its range', () => {
    const v = (t: string) => parseVersion(t)!;
    expect(appliesTo(K8S_RULES.kubeletRuntimeEndpointFlag, v('v1.26.9'))).toBe(true);
    expect(appliesTo(K8S_RULES.kubeletRuntimeEndpointFlag, v('v1.27.0'))).toBe(false);
    expect(appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, v('v1.34.3'))).toBe(false);
    expect(appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, v('v1.35.0'))).toBe(true);
    expect(appliesTo(ETCD_RULES.explicitZapLogger, v('v3.4.23'))).toBe(true);
    expect(appliesTo(ETCD_RULES.explicitZapLogger, v('v3.5.0'))).toBe(false);
    expect(appliesTo(ETCD_RULES.initialCorruptCheck, v('v3.5.0'))).toBe(true);
    // Rules ending before v1.26 never apply in the supported range.
    for (const minor of [26, 30, 35]) expect(appliesTo(K8S_RULES.klogFlagsRemoved, v(`v1.${minor}.0`))).toBe(false);
  });

  it('documents every rule with a reason and an https link', () => {
    const rules: VersionRule[] = [...Object.values(K8S_RULES), ...Object.values(ETCD_RULES)];
    for (const r of rules) {
      expect(r.why.length).toBeGreaterThan(20);
      expect(r.link).toMatch(/^https:\/\//);
    }
  });
});
