/**
 * Which containerd config the renderer writes for which containerd release, where that release
 * comes from (inventory pin, bundle tarball, default), and the registry mirrors (hosts.toml).
 * Every config line a CONTAINERD_RULES entry governs must appear only for the releases the rule
 * covers (the containerd side of flags-table.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { BundleListing } from '../../src/render/binaries.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { appliesTo, CONTAINERD_RULES } from '../../src/render/flags-by-version.js';
import { InternalError } from '../../src/shared/errors.js';
import { parseVersion } from '../../src/shared/semver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { HAS_TOMLLIB, inventoryWith, nodeFile, parseTomls, renderConfig } from './support/containerd.js';
import { pki } from './support/injection.js';
import { HOSTILE_KINDS } from './support/hostile.js';
import { shippedTemplates } from './support/templates.js';

const CONFIG = '/etc/containerd/config.toml';
const RELEASES: readonly [string, number][] = [
  ['v1.6.20', 2],
  ['v1.7.29', 2],
  ['v2.0.7', 3],
  ['v2.1.9', 3],
  ['v2.2.1', 3],
  ['v2.3.0', 4],
  ['v2.4.1', 4],
];

describe('containerd config version by release', () => {
  it.each(RELEASES)('containerd %s gets config version %i', (release, configVersion) => {
    const text = renderConfig(inventoryWith(release));
    expect(text.match(/^version = (\d+)$/m)?.[1]).toBe(String(configVersion));
  });

  it.each(RELEASES)('containerd %s: every rule-governed line only where its rule applies', (release) => {
    const v = parseVersion(release)!;
    const lines = renderConfig(inventoryWith(release)).split('\n').map((l) => l.trim()).filter((l) => !l.startsWith('#'));
    for (const [name, rule] of Object.entries(CONTAINERD_RULES)) {
      for (const f of 'flags' in rule ? rule.flags : []) {
        const present = lines.some((l) => l.includes(f));
        // Each rule's lines are all present where it applies (they are what the rule is about).
        expect(present, `${name}: ${f} for ${release}`).toBe(appliesTo(rule, v));
      }
    }
    // The listener section of versions 2-3 is replaced by server plugins in 4.
    expect(lines.includes('[grpc]'), release).toBe(!appliesTo(CONTAINERD_RULES.configV4, v));
    expect(lines).toContain('config_path = "/etc/containerd/certs.d"');
  });
});

describe('the containerd release buildPlan renders for', () => {
  const listing = (files: string[]): BundleListing => ({ files, digests: new Map() });
  const versionIn = async (inv = exampleInventory(), bundle?: BundleListing) => {
    const plan = buildPlan({ inventory: inv, pki: await pki, pkiDecisions: [], templates: shippedTemplates(), ...(bundle ? { bundle } : {}) });
    return nodeFile(plan, CONFIG).match(/^version = (\d+)$/m)?.[1];
  };

  it('is the bundle tarball\'s release when the inventory pins none (official and test-bundle names)', async () => {
    expect(await versionIn(exampleInventory(), listing(['containerd-2.1.4-linux-amd64.tar.gz', 'runc.amd64']))).toBe('3');
    expect(await versionIn(exampleInventory(), listing(['containerd-1.6.20-linux-amd64.tar.gz']))).toBe('2');
    expect(await versionIn(exampleInventory(), listing(['containerd-2.3.1-linux-amd64.tar.gz']))).toBe('4');
  });

  it('is the inventory pin over the bundle, and v2.3.0 (version 4) with neither', async () => {
    expect(await versionIn(inventoryWith('v2.2.0'), listing(['containerd-2.3.1-linux-amd64.tar.gz']))).toBe('3');
    expect(await versionIn(exampleInventory(), listing([]))).toBe('4');
    expect(await versionIn(exampleInventory())).toBe('4');
  });
});

describe('registry mirrors: /etc/containerd/certs.d/<registry>/hosts.toml', () => {
  const mirrors = [
    { registry: 'docker.io', endpoints: ['https://mirror.example:5000', 'http://10.0.0.5:5000/v2-cache'] },
    { registry: 'registry.local:5000', endpoints: ['https://cache.local'] },
    { registry: '_default', endpoints: ['https://all.example'] },
  ];
  const withMirrors = (m = mirrors) => exampleInventory({ containerd: { ...exampleInventory().containerd, mirrors: m } });
  const plan = async (m = mirrors) => buildPlan({ inventory: withMirrors(m), pki: await pki, pkiDecisions: [], templates: shippedTemplates() });

  it('one file per registry on every node, no restart', async () => {
    const p = await plan();
    for (const h of p.hosts) {
      const files = h.artifacts.filter((a) => a.path.startsWith('/etc/containerd/certs.d/'));
      expect(files.map((a) => a.path).sort(), h.host.name).toEqual([
        '/etc/containerd/certs.d/_default/hosts.toml',
        '/etc/containerd/certs.d/docker.io/hosts.toml',
        '/etc/containerd/certs.d/registry.local:5000/hosts.toml',
      ]);
      // containerd reads certs.d at each pull (docs/hosts.md): nothing to restart.
      for (const f of files) expect(f.restarts, f.path).toEqual([]);
    }
  });

  it('refuses a registry that would leave certs.d (validation is bypassed here)', async () => {
    await expect(plan([{ registry: '../../systemd/system', endpoints: ['https://x'] }])).rejects.toThrow(InternalError);
    await expect(plan([{ registry: '..', endpoints: ['https://x'] }])).rejects.toThrow(InternalError);
  });

  describe.skipIf(!HAS_TOMLLIB)('read by tomllib (containerd has no offline reader for hosts.toml)', () => {
    it('lists the mirrors as hosts in order, trusted to pull and resolve, with no server override', async () => {
      const p = await plan();
      const [docker, local] = parseTomls([nodeFile(p, '/etc/containerd/certs.d/docker.io/hosts.toml'), nodeFile(p, '/etc/containerd/certs.d/registry.local:5000/hosts.toml')]);
      // No `server`: containerd falls back to the registry itself after the mirrors.
      expect(docker).toEqual({
        host: {
          'https://mirror.example:5000': { capabilities: ['pull', 'resolve'] },
          'http://10.0.0.5:5000/v2-cache': { capabilities: ['pull', 'resolve'] },
        },
      });
      expect(Object.keys(docker!.host)).toEqual(['https://mirror.example:5000', 'http://10.0.0.5:5000/v2-cache']);
      expect(local).toEqual({ host: { 'https://cache.local': { capabilities: ['pull', 'resolve'] } } });
    });

    it('keeps every hostile endpoint one host key, read back exactly (TOML escaping)', async () => {
      const p = await plan(HOSTILE_KINDS.map((h, i) => ({ registry: `r${i}.example`, endpoints: [`https://m.example/${h}`, 'https://after.example'] })));
      const read = parseTomls(HOSTILE_KINDS.map((_h, i) => nodeFile(p, `/etc/containerd/certs.d/r${i}.example/hosts.toml`)));
      HOSTILE_KINDS.forEach((h, i) => expect(read[i], JSON.stringify(h)).toEqual({ host: { [`https://m.example/${h}`]: { capabilities: ['pull', 'resolve'] }, 'https://after.example': { capabilities: ['pull', 'resolve'] } } }));
    });
  });
});
