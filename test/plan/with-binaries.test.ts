/**
 * apply renders its plan once: withBinaries(draft, resolved) equals buildPlan with the resolved
 * binaries, for every host and artifact, including binaries the bundle did not resolve (they keep
 * the draft's tarball mark) and the image tarballs (mode 0644).
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build-plan.js';
import { withBinaries } from '../../src/plan/with-binaries.js';
import { binaryKey, type BundleListing, type ResolvedBinaries } from '../../src/render/binaries.js';
import { createEngine } from '../../src/render/engine.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { shippedTemplates } from '../render/support/templates.js';

describe('withBinaries', () => {
  it('equals a second buildPlan with the resolved binaries', async () => {
    const inventory = exampleInventory();
    const pki = await pkiFixture(inventory, { now: new Date('2026-01-01T00:00:00Z') });
    const engine = createEngine(shippedTemplates());
    const bundle: BundleListing = {
      files: ['kubernetes-server-linux-amd64.tar.gz', 'etcd-v3.7.0-linux-amd64.tar.gz', 'containerd-2.3.0-linux-amd64.tar.gz'],
      digests: new Map([['kubernetes-server-linux-amd64.tar.gz', 'sha512:aa'], ['etcd-v3.7.0-linux-amd64.tar.gz', 'sha256:bb'], ['containerd-2.3.0-linux-amd64.tar.gz', 'sha256:cc']]),
    };
    const input = { inventory, pki, pkiDecisions: [], templates: shippedTemplates(), engine, bundle };
    const draft = buildPlan(input);
    // every other bundle binary resolved; the rest stays unhashed
    const sources = [...new Map(draft.hosts.flatMap((h) => h.artifacts).flatMap((a) => (typeof a.content === 'string' ? [] : [[binaryKey(a.content), a.content] as const]))).values()];
    expect(sources.length).toBeGreaterThan(10);
    const binaries: ResolvedBinaries = new Map(sources.filter((_, i) => i % 2 === 0).map((s, i) => [binaryKey(s), { localFile: `/cache/${i}`, size: 1000 + i, sha256: String(i).padStart(64, '0') }]));
    const resolved = withBinaries(draft, binaries);
    expect(resolved).toEqual(buildPlan({ ...input, binaries }));
    expect(resolved.hosts[0]?.artifacts.filter((a) => a.kind !== 'binary')).toEqual(draft.hosts[0]?.artifacts.filter((a) => a.kind !== 'binary'));
  });
});
