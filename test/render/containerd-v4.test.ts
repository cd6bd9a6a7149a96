/**
 * Config version 4 (containerd 2.3+). No containerd 2.3 binary exists on this machine (Debian ships
 * 2.1), so this is a parser check, not a containerd check: Python's tomllib (an independent TOML 1.0
 * parser) reads the rendered file, and its structure is compared with what containerd 2.3's
 * documentation (docs/man/containerd-config.toml.5.md, "Version 4 Configuration") and its migration
 * (cmd/containerd/server/config serviceMigrate) say: the [grpc] section becomes the
 * io.containerd.server.v1.grpc plugin, TTRPC is its own plugin, and the CRI plugins are those of
 * version 3, which containerd-v3.test.ts proves with a real containerd 2.1.
 */
import { describe, expect, it } from 'vitest';
import { planFor } from './support/render.js';
import { HAS_TOMLLIB, inventoryWith, nodeFile, parseToml, parseTomls, renderConfig } from './support/containerd.js';
import { HOSTILE_KINDS } from './support/hostile.js';
import { exampleInventory } from '../support/inventory-builder.js';

if (!HAS_TOMLLIB) console.warn('skipping the containerd config version 4 tests: python3 with tomllib (3.11+) is absent');

describe.skipIf(!HAS_TOMLLIB)('containerd config version 4 (containerd 2.3+), read by tomllib', () => {
  it('is what the example (no pin, no bundle: containerd v2.3.0) renders', async () => {
    const text = nodeFile(await planFor(exampleInventory()), '/etc/containerd/config.toml');
    expect(parseToml(text).version).toBe(4);
  });

  it('moves the listeners into server plugins and sets TTRPC to the address versions 2-3 derived', () => {
    const cfg = parseToml(renderConfig(inventoryWith('v2.3.0')));
    expect(cfg.version).toBe(4);
    // A [grpc] section in a version 4 file is the deprecated form containerd migrates at each start.
    expect(cfg.grpc).toBeUndefined();
    expect(cfg.ttrpc).toBeUndefined();
    expect(cfg.plugins['io.containerd.server.v1.grpc']).toEqual({ address: '/run/containerd/containerd.sock' });
    expect(cfg.plugins['io.containerd.server.v1.ttrpc']).toEqual({ address: '/run/containerd/containerd.sock.ttrpc' });
  });

  it('has the CRI plugins of version 3, value for value, with the inventory settings', () => {
    const knobs = { snapshotter: 'native', noNewKeyring: true, restrictOomScoreAdj: true, sandboxImage: 'registry.k8s.io/pause:3.10.1' };
    const v4 = parseToml(renderConfig(inventoryWith('v2.3.4', knobs)));
    const v3 = parseToml(renderConfig(inventoryWith('v2.2.1', knobs)));
    for (const id of ['io.containerd.cri.v1.images', 'io.containerd.cri.v1.runtime']) expect(v4.plugins[id], id).toEqual(v3.plugins[id]);
    // Everything else is equal too, once the listeners are put back where version 3 has them.
    const { ['io.containerd.server.v1.grpc']: grpc, ['io.containerd.server.v1.ttrpc']: _ttrpc, ...plugins } = v4.plugins;
    expect({ ...v4, version: 3, plugins, grpc }).toEqual(v3);
    const images = v4.plugins['io.containerd.cri.v1.images'];
    const runtime = v4.plugins['io.containerd.cri.v1.runtime'];
    expect(images).toEqual({ snapshotter: 'native', pinned_images: { sandbox: 'registry.k8s.io/pause:3.10.1' }, registry: { config_path: '/etc/containerd/certs.d' } });
    expect(runtime.restrict_oom_score_adj).toBe(true);
    expect(runtime.containerd.runtimes.runc.options).toEqual({ BinaryName: '/usr/local/sbin/runc', SystemdCgroup: true, NoNewKeyring: true });
    expect(runtime.cni).toEqual({ bin_dirs: ['/opt/cni/bin'], conf_dir: '/etc/cni/net.d' });
  });

  it('reads every hostile value back exactly in its own key, nothing added (TOML escaping)', () => {
    const withValue = (h: string) => renderConfig(inventoryWith('v2.3.0', { snapshotter: `native${h}`, sandboxImage: `pause${h}` }));
    const [marked, ...got] = parseTomls(['MARK', ...HOSTILE_KINDS].map(withValue));
    const expected = JSON.stringify(marked);
    HOSTILE_KINDS.forEach((h, i) => expect(got[i], JSON.stringify(h)).toEqual(JSON.parse(expected.split('MARK').join(JSON.stringify(h).slice(1, -1)))));
  });
});
