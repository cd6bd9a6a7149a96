/**
 * kubelet.failCgroupV1, kubeProxy.conntrack and cluster.proxyMode against the Kubernetes version:
 * errors where a version cannot take the setting, a warning every time cgroup v1 is allowed or the
 * deprecated ipvs mode is chosen (never a silent default).
 */
import { describe, expect, it } from 'vitest';
import { validateInventory } from '../../src/inventory/validate.js';
import { formatIssue } from '../../src/shared/errors.js';

const inv = (version: string, extra: string): string =>
  ['apiVersion: kubesmith/v1alpha1', 'cluster:', '  name: demo', `  kubernetesVersion: ${version}`, extra, 'hosts:', '  - { name: m1, address: 192.168.80.10, roles: [control-plane, etcd, worker] }', ''].join('\n');

const issues = (text: string): string[] => validateInventory(text, 'inv.yaml').issues.map(formatIssue);

describe('node component settings', () => {
  it('failCgroupV1: false is allowed from v1.31 with a warning; before v1.31 it is an error', () => {
    expect(issues(inv('v1.37.2', 'kubelet: { failCgroupV1: false }'))).toEqual([
      expect.stringMatching(/^inv\.yaml:5:\d+: warning: failCgroupV1: false lets the kubelet run on cgroup v1 hosts, which are deprecated \(maintenance only\) and refused by default; .*systemd\.unified_cgroup_hierarchy=1/),
    ]);
    expect(issues(inv('v1.33.1', 'kubelet: { failCgroupV1: false }'))[0]).toMatch(/refused by default from v1\.35/);
    expect(issues(inv('v1.37.2', 'kubelet: { failCgroupV1: true }'))).toEqual([]);
    expect(issues(inv('v1.30.4', 'kubelet: { failCgroupV1: true }'))).toEqual([
      expect.stringMatching(/failCgroupV1 needs Kubernetes v1\.31 or later \(v1\.30\.4 has no such KubeletConfiguration field\); remove it/),
    ]);
    const r = validateInventory(inv('v1.37.2', 'kubelet: { failCgroupV1: false }'), 'inv.yaml');
    expect(r.inventory?.kubelet).toEqual({ failCgroupV1: false });
  });

  it('nftables needs v1.33; ipvs from v1.35 warns', () => {
    expect(issues(inv('v1.32.9', '  proxyMode: nftables'))).toEqual([expect.stringMatching(/proxyMode nftables needs Kubernetes v1\.33 or later \(GA there\)/)]);
    expect(issues(inv('v1.33.0', '  proxyMode: nftables'))).toEqual([]);
    expect(issues(inv('v1.34.2', '  proxyMode: ipvs'))).toEqual([]);
    expect(issues(inv('v1.35.0', '  proxyMode: ipvs'))).toEqual([expect.stringMatching(/warning: proxyMode ipvs is deprecated from v1\.35/)]);
  });

  it('conntrack values are durations and counts; 0 is allowed (leave the kernel value)', () => {
    const ok = validateInventory(inv('v1.37.2', 'kubeProxy: { conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 1h30m } }'), 'inv.yaml');
    expect(ok.issues).toEqual([]);
    expect(ok.inventory?.kubeProxy).toEqual({ conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '1h30m' } });
    expect(issues(inv('v1.37.2', 'kubeProxy: { conntrack: { tcpEstablishedTimeout: "1 day", maxPerCore: -1 } }'))).toEqual([
      expect.stringMatching(/tcpEstablishedTimeout "1 day" is not a duration; write it like 24h/),
      expect.stringMatching(/maxPerCore must be a whole number from 0 to 1048576/),
    ]);
  });

  it('rejects versions outside v1.28-v1.38 with the supported range', () => {
    expect(issues(inv('v1.27.16', ''))).toEqual([expect.stringMatching(/kubernetesVersion v1\.27\.16 is not supported; use v1\.28 to v1\.38/)]);
    expect(issues(inv('v1.39.0', ''))).toEqual([expect.stringMatching(/use v1\.28 to v1\.38/)]);
  });
});
