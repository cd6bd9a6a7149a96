/**
 * The rendered containerd config for containerd 1.x (config version 2), as containerd itself reads
 * it (`containerd config dump` prints the effective configuration): every setting lands where
 * containerd looks for it. A misspelled or misplaced key would show up here as containerd's default
 * instead of our value. The reader is Debian bookworm's containerd 1.6, so the inventory pins a 1.x
 * containerd (with Kubernetes v1.35, the last minor 1.x is kept for); versions 3 and 4 are
 * containerd-v3.test.ts and containerd-v4.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleInventory } from '../support/inventory-builder.js';
import { inventoryWith } from './support/containerd.js';
import { planFor } from './support/render.js';

const hasContainerd = spawnSync('containerd', ['--version']).status === 0;
if (!hasContainerd) console.warn('skipping the containerd config test: containerd is not installed (Debian: containerd)');
const dir = mkdtempSync(join(tmpdir(), 'kubesmith-containerd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `containerd config dump` of a rendered config, squeezed to "key = value" lines per section. */
async function effective(containerd: Partial<ReturnType<typeof exampleInventory>['containerd']>): Promise<string> {
  const plan = await planFor(inventoryWith('v1.7.29', containerd));
  const file = join(dir, `config-${Object.keys(containerd).length}.toml`);
  writeFileSync(file, plan.hosts[2]!.artifacts.find((a) => a.path === '/etc/containerd/config.toml')!.content as string);
  const r = spawnSync('containerd', ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  let section = '';
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .flatMap((l) => (l.startsWith('[') ? ((section = l), []) : l.includes(' = ') ? [`${section} ${l}`] : []))
    .join('\n');
}

const CRI = '[plugins."io.containerd.grpc.v1.cri"]';
const RUNC = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]';

describe.skipIf(!hasContainerd)('containerd config', () => {
  it('is read by containerd with every rendered value in place (normal hosts)', async () => {
    const eff = await effective({});
    expect(eff).toContain(`${CRI} sandbox_image = "registry.k8s.io/pause:3.9"`);
    expect(eff).toContain(`${CRI} restrict_oom_score_adj = false`);
    expect(eff).toContain('[plugins."io.containerd.grpc.v1.cri".containerd] snapshotter = "overlayfs"');
    expect(eff).toContain(`${RUNC} SystemdCgroup = true`);
    expect(eff).toContain(`${RUNC} NoNewKeyring = false`);
    expect(eff).toContain(`${RUNC} BinaryName = "/usr/local/sbin/runc"`);
    expect(eff).toContain('[plugins."io.containerd.grpc.v1.cri".cni] bin_dir = "/opt/cni/bin"');
    expect(eff).toContain('[plugins."io.containerd.grpc.v1.cri".cni] conf_dir = "/etc/cni/net.d"');
    expect(eff).toContain('[grpc] address = "/run/containerd/containerd.sock"');
    expect(eff).toContain('[plugins."io.containerd.grpc.v1.cri".registry] config_path = "/etc/containerd/certs.d"');
  });

  it('carries the container-host settings from inventory.containerd', async () => {
    const eff = await effective({ snapshotter: 'native', noNewKeyring: true, restrictOomScoreAdj: true, sandboxImage: 'registry.k8s.io/pause:3.10' });
    expect(eff).toContain('[plugins."io.containerd.grpc.v1.cri".containerd] snapshotter = "native"');
    expect(eff).toContain(`${RUNC} NoNewKeyring = true`);
    expect(eff).toContain(`${CRI} restrict_oom_score_adj = true`);
    expect(eff).toContain(`${CRI} sandbox_image = "registry.k8s.io/pause:3.10"`);
  });
});
