/** etcd 3.6/3.7 (#14 item 4): defaults by Kubernetes version, upgrade floors, and the rendered config per minor. */
import { describe, expect, it } from 'vitest';
import { defaultEtcdVersion, effectiveContainerdVersion } from '../../src/inventory/component-versions.js';
import { etcdUpgradeProblem, etcdVersionInManifest } from '../../src/inventory/etcd-upgrade.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { parseVersion } from '../../src/shared/semver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { planFor } from '../render/support/render.js';

const v = (t: string) => parseVersion(t)!;
const inv = (cluster: string, extra = ''): string =>
  `apiVersion: kubesmith/v1alpha1\ncluster:\n  name: t\n${cluster}${extra}hosts:\n  - { name: m1, address: 192.168.80.10, roles: [control-plane, etcd, worker] }\n`;

describe('etcd versions', () => {
  it('defaults etcd 3.6 up to Kubernetes v1.36 and 3.7 from v1.37', () => {
    expect(defaultEtcdVersion('v1.35.6')).toMatch(/^v3\.6\./);
    expect(defaultEtcdVersion('v1.36.3')).toMatch(/^v3\.6\./);
    expect(defaultEtcdVersion('v1.37.2')).toMatch(/^v3\.7\./);
    const r = validateInventory(inv('  kubernetesVersion: v1.37.2\n'), 'i.yaml');
    expect(r.inventory?.cluster.etcdVersion).toMatch(/^v3\.7\./);
  });

  it('refuses 3.4 and warns on 3.5 (an upgrade source only), naming the v3.5.26 floor when below it', () => {
    const old = validateInventory(inv('  kubernetesVersion: v1.35.6\n  etcdVersion: v3.4.23\n'), 'i.yaml');
    expect(old.inventory).toBeUndefined();
    expect(old.issues.map((i) => i.message).join('\n')).toContain('etcdVersion v3.4.23 is not supported');
    const low = validateInventory(inv('  kubernetesVersion: v1.35.6\n  etcdVersion: v3.5.16\n'), 'i.yaml');
    expect(low.inventory).toBeDefined();
    expect(low.issues.map((i) => `${i.severity} ${i.message}`).join('\n')).toMatch(/warning .*only as the version a running cluster has.*v3\.5\.26 or later is required/);
    const ok = validateInventory(inv('  kubernetesVersion: v1.35.6\n  etcdVersion: v3.5.26\n'), 'i.yaml');
    expect(ok.issues.map((i) => i.message).join('\n')).not.toContain('v3.5.26 or later');
  });

  it('knows the upgrade floors and the one-minor-at-a-time rule', () => {
    expect(etcdUpgradeProblem(v('v3.5.21'), v('v3.6.11'))).toContain('v3.5.26 or later first');
    expect(etcdUpgradeProblem(v('v3.5.26'), v('v3.6.11'))).toBeUndefined();
    expect(etcdUpgradeProblem(v('v3.6.8'), v('v3.7.0'))).toContain('v3.6.11 or later first');
    expect(etcdUpgradeProblem(v('v3.5.26'), v('v3.7.0'))).toContain('one minor at a time');
    expect(etcdUpgradeProblem(v('v3.6.8'), v('v3.6.11'))).toBeUndefined();
    expect(etcdVersionInManifest({ m1: { '/opt/etcd/bin/etcd': 'bundle:v3.5.16/etcd-v3.5.16-linux-amd64.tar.gz#etcd-v3.5.16-linux-amd64/etcd' } })?.text).toBe('v3.5.16');
    expect(etcdVersionInManifest({ m1: { '/opt/etcd/bin/etcd': 'ab'.repeat(32) } })).toBeUndefined();
  });

  it('renders InitialCorruptCheck as a feature gate from 3.6 (the experimental key is gone in 3.7) and ships etcdutl', async () => {
    const config = async (etcdVersion: string) => {
      const plan = await planFor(exampleInventory({ cluster: { ...exampleInventory().cluster, etcdVersion } }));
      const h = plan.hosts[0]!;
      return { text: h.artifacts.find((a) => a.path.endsWith('etcd.conf.yml'))!.content as string, paths: h.artifacts.map((a) => a.path) };
    };
    for (const ver of ['v3.6.11', 'v3.7.0']) {
      const c = await config(ver);
      expect(c.text).toContain('feature-gates: InitialCorruptCheck=true');
      expect(c.text).not.toContain('experimental-');
      expect(c.text).not.toContain('enable-v2');
      expect(c.paths).toContain('/opt/etcd/bin/etcdutl');
    }
    const c35 = await config('v3.5.26');
    expect(c35.text).toContain('experimental-initial-corrupt-check: true');
    expect(c35.text).not.toContain('feature-gates');
    expect(c35.paths).not.toContain('/opt/etcd/bin/etcdutl');
  });

  it('takes the containerd version from the pin, else the bundle tarball name, else v2.3', () => {
    expect(effectiveContainerdVersion('v2.2.1', ['containerd-2.3.0-linux-amd64.tar.gz']).text).toBe('v2.2.1');
    expect(effectiveContainerdVersion(undefined, ['containerd-1.7.28-linux-amd64.tar.gz']).text).toBe('v1.7.28');
    expect(effectiveContainerdVersion(undefined, []).text).toBe('v2.3.0');
  });
});
