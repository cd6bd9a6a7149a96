/**
 * #13: binaries are identified by content or version, so an upgrade shows every binary that will
 * change. `plan` compares with last-render.json; `render` writes that identity there and in PLAN.md;
 * `apply --dry-run` compares the resolved binaries' sha256 with the hosts'.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRunSteps, newHostRunState } from '../../src/deploy/dry-run.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import type { PlanView } from '../../src/plan/plan-view.js';
import { loadBundle } from '../../src/state/bundle.js';
import { FakeHost } from '../support/fake-host.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { cli, scratchCluster } from '../render/support/cli.js';
import { planFor } from '../render/support/render.js';
import { shippedTemplates } from '../render/support/templates.js';

const K8S = 'kubernetes-server-linux-amd64.tar.gz';
const KUBELET = '/opt/kubernetes/bin/kubelet';

/** A kubernetes-server tarball whose kubelet prints `version`, with upstream's bare-digest .sha512. */
function kubeTarball(bundle: string, version: string): void {
  const work = mkdtempSync(join(tmpdir(), 'kubesmith-k8s-'));
  const bin = join(work, 'kubernetes/server/bin');
  mkdirSync(bin, { recursive: true });
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl']) {
    writeFileSync(join(bin, name), `#!/bin/sh\necho ${name} ${version}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  mkdirSync(bundle, { recursive: true });
  execFileSync('tar', ['-czf', join(bundle, K8S), '--owner=0', '--group=0', '--numeric-owner', 'kubernetes'], { cwd: work });
  const digest = createHash('sha512').update(readFileSync(join(bundle, K8S))).digest('hex');
  writeFileSync(join(bundle, `${K8S}.sha512`), `${digest}\n`);
  rmSync(work, { recursive: true, force: true });
}

const statusOf = (v: PlanView, host: string, path: string): string | undefined => v.hosts.find((h) => h.name === host)?.files.find((f) => f.path === path)?.status;

async function planJson(dir: string): Promise<PlanView> {
  const r = await cli(['plan', '-i', 'inventory.yaml', '--json'], dir);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as PlanView;
}

describe('plan: binaries identified by version or content (#13)', () => {
  let dir = '';
  let original = '';
  beforeAll(async () => {
    dir = await scratchCluster();
    original = readFileSync(join(dir, 'inventory.yaml'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const setInventory = (text: string): void => writeFileSync(join(dir, 'inventory.yaml'), text);

  it('kubernetesVersion v1.37.2 -> v1.38.0 without a bundle: every Kubernetes binary is changed, the rest unchanged', async () => {
    setInventory(original);
    expect((await cli(['render', '-i', 'inventory.yaml', '--out', 'out'], dir)).code).toBe(0);
    setInventory(original.replace('kubernetesVersion: v1.37.2', 'kubernetesVersion: v1.38.0'));
    const v = await planJson(dir);
    for (const b of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl']) {
      expect(statusOf(v, 'master01', `/opt/kubernetes/bin/${b}`), b).toBe('changed');
    }
    expect(statusOf(v, 'node01', KUBELET)).toBe('changed');
    expect(statusOf(v, 'master01', '/opt/etcd/bin/etcd')).toBe('unchanged');
    expect(statusOf(v, 'node01', '/usr/local/bin/containerd')).toBe('unchanged');
    // the identity is shown to the reviewer, not just compared
    const kubelet = v.hosts.find((h) => h.name === 'node01')!.files.find((f) => f.path === KUBELET)!;
    expect(kubelet.source).toContain('v1.38.0');
  });

  it('etcdVersion change: etcd and etcdctl are changed', async () => {
    setInventory(original);
    expect((await cli(['render', '-i', 'inventory.yaml', '--out', 'out'], dir)).code).toBe(0);
    setInventory(original.replace('etcdVersion: v3.7.0', 'etcdVersion: v3.7.1'));
    const v = await planJson(dir);
    expect(statusOf(v, 'master01', '/opt/etcd/bin/etcd')).toBe('changed');
    expect(statusOf(v, 'master01', '/opt/etcd/bin/etcdctl')).toBe('changed');
    expect(statusOf(v, 'master01', KUBELET)).toBe('unchanged');
  });

  it('a new tarball in the bundle (same version): changed, by the published checksum; PLAN.md and last-render.json carry it', async () => {
    setInventory(original);
    const bundle = join(dir, 'bundle');
    kubeTarball(bundle, 'build-1');
    expect((await cli(['render', '-i', 'inventory.yaml', '--out', 'out'], dir)).code).toBe(0);
    const digest1 = readFileSync(join(bundle, `${K8S}.sha512`), 'utf8').trim();
    const last = readFileSync(join(dir, '.kubesmith/demo/last-render.json'), 'utf8');
    expect(last).toContain(digest1);
    expect(readFileSync(join(dir, 'out/PLAN.md'), 'utf8')).toMatch(new RegExp(`kubelet.*${digest1.slice(0, 12)}`));
    expect(statusOf(await planJson(dir), 'node01', KUBELET)).toBe('unchanged');

    kubeTarball(bundle, 'build-2');
    const v = await planJson(dir);
    expect(statusOf(v, 'node01', KUBELET)).toBe('changed');
    expect(statusOf(v, 'node01', '/usr/local/bin/containerd')).toBe('unchanged');
    rmSync(bundle, { recursive: true, force: true });
  });
});

describe('apply --dry-run: binaries compared by the resolved sha256 (#13)', () => {
  it('a host running the v1.31.2 kubelet shows the v1.32.0 kubelet as changed, and the same one as unchanged', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kubesmith-dry-'));
    try {
      const base = await planFor(exampleInventory());
      const need = { bundleFile: K8S, member: 'kubernetes/server/bin/kubelet' };
      const resolved = async (version: string) => {
        kubeTarball(join(root, version), version);
        return loadBundle({ dir: join(root, version), cacheDir: join(root, 'cache'), needs: [need] });
      };
      const [old, next] = [await resolved('v1.31.2'), await resolved('v1.32.0')];
      const kubeletOf = (binaries: typeof old) => {
        const inv = { ...base.inventory, cluster: { ...base.inventory.cluster, kubernetesVersion: binaries === old ? 'v1.31.2' : 'v1.32.0' } };
        const plan = buildPlan({ inventory: inv, pki: base.pki, pkiDecisions: [], templates: shippedTemplates(), binaries });
        return plan.hosts.find((h) => h.host.name === 'node01')!.artifacts.find((a) => a.path === KUBELET)!;
      };
      const host = new FakeHost('node01').seed(KUBELET, readFileSync(old.get(`${K8S}#${need.member}`)!.localFile), 0o755);
      const dry = async (artifact: ReturnType<typeof kubeletOf>): Promise<DeployEvent[]> => {
        const events: DeployEvent[] = [];
        await dryRunSteps(host, [{ kind: 'put', artifact }], newHostRunState(), { phase: 'binaries', emit: (e) => void events.push(e), signal: new AbortController().signal });
        return events;
      };
      expect(await dry(kubeletOf(next))).toMatchObject([{ type: 'step', status: 'changed', detail: 'would write (content)' }]);
      expect(await dry(kubeletOf(old))).toMatchObject([{ type: 'step', status: 'unchanged' }]);
      expect(host.log.filter((l) => l.startsWith('write'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
