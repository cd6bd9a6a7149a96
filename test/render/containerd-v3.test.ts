/**
 * Config version 3 (containerd 2.0-2.2) as containerd 2.1 itself reads it: `containerd config dump`
 * prints the effective configuration, so a misspelled or misplaced key shows up as containerd's
 * default instead of our value. The binary is Debian sid's containerd 2.1.9, unpacked by .ci/run;
 * its dump is read back with Python's tomllib. Without either (a developer machine) the tests are
 * skipped with the reason; CI has both.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { planFor } from './support/render.js';
import { CONTAINERD2_BIN, HAS_CONTAINERD2, HAS_TOMLLIB, inventoryWith, nodeFile, parseToml, parseTomls, renderConfig } from './support/containerd.js';
import { HOSTILE_KINDS } from './support/hostile.js';

const skip = !HAS_CONTAINERD2 ? `${CONTAINERD2_BIN} is absent (.ci/run unpacks Debian sid's containerd there)` : !HAS_TOMLLIB ? 'python3 with tomllib (3.11+) is absent' : '';
if (skip) console.warn(`skipping the containerd 2.x config tests: ${skip}`);
const dir = mkdtempSync(join(tmpdir(), 'kubesmith-containerd2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** `containerd config dump` of a config text (the effective configuration), read back by tomllib. */
function dump(toml: string): Record<string, any> {
  const file = join(dir, `config-${n++}.toml`);
  writeFileSync(file, toml);
  const r = spawnSync(CONTAINERD2_BIN, ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return parseToml(r.stdout);
}

/** The same for several configs at once (each containerd and Python start takes a while on a busy machine). */
async function dumpAll(tomls: readonly string[]): Promise<Record<string, any>[]> {
  const outs = await Promise.all(
    tomls.map((toml) => {
      const file = join(dir, `config-${n++}.toml`);
      writeFileSync(file, toml);
      return promisify(execFile)(CONTAINERD2_BIN, ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
    }),
  );
  return parseTomls(outs.map((o) => o.stdout));
}

function renderedV3(containerd: Parameters<typeof inventoryWith>[1] = {}, version = 'v2.1.9'): string {
  return renderConfig(inventoryWith(version, containerd));
}

describe.skipIf(skip !== '')('containerd config version 3, read by containerd 2.1', () => {
  const images = (eff: Record<string, any>) => eff.plugins['io.containerd.cri.v1.images'];
  const runtime = (eff: Record<string, any>) => eff.plugins['io.containerd.cri.v1.runtime'];
  const runc = (eff: Record<string, any>) => runtime(eff).containerd.runtimes.runc;

  it('is version 3 and every rendered value is in effect (normal hosts; the plan of a v2.1.9 pin)', async () => {
    const text = nodeFile(await planFor(inventoryWith('v2.1.9')), '/etc/containerd/config.toml');
    expect(text).toMatch(/^version = 3$/m);
    const eff = dump(text);
    expect(eff.version).toBe(3);
    expect(images(eff).pinned_images.sandbox).toBe('registry.k8s.io/pause:3.9');
    expect(images(eff).snapshotter).toBe('overlayfs');
    expect(images(eff).registry.config_path).toBe('/etc/containerd/certs.d');
    expect(runtime(eff).restrict_oom_score_adj).toBe(false);
    expect(runtime(eff).containerd.default_runtime_name).toBe('runc');
    expect(runc(eff).runtime_type).toBe('io.containerd.runc.v2');
    expect(runc(eff).options).toMatchObject({ SystemdCgroup: true, NoNewKeyring: false, BinaryName: '/usr/local/sbin/runc' });
    expect(runtime(eff).cni).toMatchObject({ bin_dirs: ['/opt/cni/bin'], conf_dir: '/etc/cni/net.d' });
    expect(eff.grpc.address).toBe('/run/containerd/containerd.sock');
  });

  it('carries the container-host settings from inventory.containerd (nodes that are containers)', async () => {
    const eff = dump(renderedV3({ snapshotter: 'native', noNewKeyring: true, restrictOomScoreAdj: true, sandboxImage: 'registry.k8s.io/pause:3.10.1' }));
    expect(images(eff).snapshotter).toBe('native');
    expect(images(eff).pinned_images.sandbox).toBe('registry.k8s.io/pause:3.10.1');
    expect(runc(eff).options.NoNewKeyring).toBe(true);
    expect(runc(eff).options.SystemdCgroup).toBe(true);
    expect(runtime(eff).restrict_oom_score_adj).toBe(true);
    // The transfer service (ctr import, CRI pulls from 2.1) unpacks into that snapshotter, not only overlayfs.
    expect(eff.plugins['io.containerd.transfer.v1.local'].unpack_config.map((u: Record<string, string>) => [u.platform, u.snapshotter])).toEqual([['linux/amd64', 'native']]);
  });

  it('has no version 2 CRI section for containerd to migrate (a v2 key in a v3 file is dropped silently)', async () => {
    const text = renderedV3();
    expect(text).not.toContain('sandbox_image');
    expect(text).not.toContain('io.containerd.grpc.v1.cri');
    // What containerd keeps under the old plugin id is its own streaming defaults: nothing of ours.
    expect(JSON.stringify(dump(text).plugins['io.containerd.grpc.v1.cri'] ?? {})).not.toMatch(/pause|overlayfs|runc|cni/);
  });

  it('containerd 2.0 gets bin_dir (bin_dirs is 2.1+), which 2.1 still reads', async () => {
    const text = renderedV3({}, 'v2.0.7');
    expect(text).toMatch(/^version = 3$/m);
    expect(text).not.toContain('bin_dirs');
    expect(runtime(dump(text)).cni.bin_dir).toBe('/opt/cni/bin');
  });

  it('reads every hostile value back exactly in its own key, nothing added (TOML escaping)', async () => {
    const withValue = (h: string) => renderedV3({ snapshotter: `native${h}`, sandboxImage: `registry.k8s.io/pause:3.9${h}` });
    const [marked, ...got] = await dumpAll(['MARK', ...HOSTILE_KINDS].map(withValue));
    const expected = JSON.stringify(marked);
    HOSTILE_KINDS.forEach((h, i) => expect(got[i], JSON.stringify(h)).toEqual(JSON.parse(expected.split('MARK').join(JSON.stringify(h).slice(1, -1)))));
  });
});
