/**
 * #10 part 3: the version changes apply makes or refuses, against the versions the last full apply
 * recorded in cluster.json; the record's round trip; the refusal names the inventory line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdentity, serializeIdentity, withVersions, type ClusterIdentity } from '../../src/pki/identity.js';
import { upgradeCheck } from '../../src/plan/upgrade-path.js';
import { gateUpgrade, keyPosition } from '../../src/state/upgrade-gate.js';
import { InventoryError } from '../../src/shared/errors.js';
import { exampleInventory } from '../support/inventory-builder.js';

const inv = (kubernetesVersion: string, etcdVersion: string) => {
  const base = exampleInventory();
  return exampleInventory({ cluster: { ...base.cluster, kubernetesVersion, etcdVersion } });
};
const ran = (kubernetes: string, etcd: string) => ({ kubernetes, etcd });

describe('upgradeCheck', () => {
  it('says nothing without a record (first install, or a cluster applied by an older kubesmith) or when nothing changes', () => {
    expect(upgradeCheck(undefined, inv('v1.37.2', 'v3.7.0'))).toEqual({ lines: [], problems: [] });
    expect(upgradeCheck(ran('v1.37.2', 'v3.7.0'), inv('v1.37.2', 'v3.7.0'))).toEqual({ lines: [], problems: [] });
  });

  it('takes one minor forward, and patches either way, in the skew policy order', () => {
    const up = upgradeCheck(ran('v1.35.6', 'v3.6.13'), inv('v1.36.3', 'v3.6.13'));
    expect(up.problems).toEqual([]);
    expect(up.lines).toHaveLength(1);
    expect(up.lines[0]).toMatch(/^Kubernetes v1\.35\.6 -> v1\.36\.3 \(upgrade\).*kube-apiserver one control plane at a time.*then kubelet and kube-proxy/);
    expect(upgradeCheck(ran('v1.36.3', 'v3.6.13'), inv('v1.36.2', 'v3.6.13')).lines[0]).toContain('(patch downgrade)');
    expect(upgradeCheck(ran('v1.36.2', 'v3.6.13'), inv('v1.36.3', 'v3.6.13')).lines[0]).toContain('(patch upgrade)');
  });

  it('refuses a skipped minor and a minor downgrade, saying what to do', () => {
    const skip = upgradeCheck(ran('v1.35.6', 'v3.7.0'), inv('v1.37.2', 'v3.7.0'));
    expect(skip.lines).toEqual([]);
    expect(skip.problems).toEqual([expect.objectContaining({ key: 'cluster.kubernetesVersion', message: expect.stringContaining('v1.37.2 skips v1.36') as unknown })]);
    expect(skip.problems[0]?.hint).toContain('newest v1.36 patch release, apply, then set v1.37.2');
    const down = upgradeCheck(ran('v1.36.3', 'v3.6.13'), inv('v1.35.6', 'v3.6.13'));
    expect(down.problems[0]?.message).toContain('a minor older than the v1.36.3 the cluster runs');
    expect(down.problems[0]?.hint).toContain('kubesmith etcd restore');
  });

  it('applies the etcd rules: one minor at a time over the patch floor, never a minor back', () => {
    expect(upgradeCheck(ran('v1.36.3', 'v3.6.13'), inv('v1.36.3', 'v3.7.0')).lines[0]).toMatch(/^etcd v3\.6\.13 -> v3\.7\.0: members one at a time.*verified snapshot/);
    expect(upgradeCheck(ran('v1.36.3', 'v3.5.21'), inv('v1.36.3', 'v3.6.13')).problems[0]?.message).toContain('v3.5.26 or later first');
    expect(upgradeCheck(ran('v1.36.3', 'v3.5.26'), inv('v1.36.3', 'v3.7.0')).problems[0]?.message).toContain('one minor at a time');
    expect(upgradeCheck(ran('v1.36.3', 'v3.7.0'), inv('v1.36.3', 'v3.6.13')).problems[0]).toMatchObject({ key: 'cluster.etcdVersion', message: expect.stringContaining('etcdctl downgrade') as unknown });
  });
});

describe('the versions record', () => {
  const base: ClusterIdentity = { cluster: 'demo', createdAt: '2026-12-01T00:00:00.000Z', fingerprints: {}, replaced: [] };

  it('round-trips through cluster.json and is rewritten only when it changes', () => {
    const id = withVersions(base, ran('v1.36.3', 'v3.6.13'));
    expect(parseIdentity(serializeIdentity(id), 'cluster.json').versions).toEqual(ran('v1.36.3', 'v3.6.13'));
    expect(withVersions(id, ran('v1.36.3', 'v3.6.13'))).toBe(id);
    expect(parseIdentity(serializeIdentity(base), 'cluster.json').versions).toBeUndefined();
  });

  it('refuses a damaged record rather than guessing', () => {
    const bad = serializeIdentity(base).replace('"replaced"', '"versions": { "kubernetes": "1.36" },\n  "replaced"');
    expect(() => parseIdentity(bad, 'cluster.json')).toThrow(/"versions" needs kubernetes and etcd/);
  });
});

describe('gateUpgrade', () => {
  it('raises an inventory error at the line that names the version; passes an allowed change through', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-upgrade-'));
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, 'apiVersion: kubesmith/v1alpha1\ncluster:\n  name: demo\n  kubernetesVersion: v1.37.2\nhosts: []\n');
    const i = { ...inv('v1.37.2', 'v3.7.0'), source: file };
    let err: unknown;
    try {
      gateUpgrade(i, ran('v1.35.6', 'v3.7.0'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as InventoryError).issues[0]).toMatchObject({ file, line: 4, col: 3, path: 'cluster.kubernetesVersion' });
    expect(gateUpgrade(i, ran('v1.36.3', 'v3.7.0')).lines).toHaveLength(1);
    expect(keyPosition('a: 1\n', 'etcdVersion')).toEqual({ line: 1, col: 1 });
  });
});
