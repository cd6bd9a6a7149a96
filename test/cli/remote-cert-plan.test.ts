/**
 * `pki check --remote` and `status` plan with an engine that renders only kubeconfigs
 * (certificatesOnly in src/cli/remote-cert-plan.ts). This proves the shortcut safe: for every HA mode
 * and admin identity, the certificate and kubeconfig artifacts, and so the targets, equal those of
 * the full plan `kubesmith plan` builds; a new kubeconfig template would fail here.
 */
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import { certificatesOnly } from '../../src/cli/remote-cert-plan.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { remoteTargets } from '../../src/pki/remote/targets.js';
import { createEngine } from '../../src/render/engine.js';
import { loadTemplates } from '../../src/state/load-templates.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';

const base = exampleInventory();
const variants: [string, Inventory][] = [
  ['local-proxy', base],
  ['none, system-masters', { ...base, cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'none' } }, pki: { ...base.pki, adminIdentity: 'system-masters' } }],
  [
    'vip with load balancers',
    {
      ...base,
      cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
      hosts: [...base.hosts, aHost('lb01', '192.168.80.13', ['loadbalancer']), aHost('lb02', '192.168.80.14', ['loadbalancer'])],
    },
  ],
];

describe('remote certificate plan', () => {
  it.each(variants)('%s: the kubeconfig-only engine yields the full plan\'s certificate and kubeconfig artifacts', async (_name, inv) => {
    const pki = await pkiFixture(inv);
    const templates = loadTemplates();
    const full = buildPlan({ inventory: inv, pki, pkiDecisions: [], templates });
    const light = buildPlan({ inventory: inv, pki, pkiDecisions: [], templates, engine: certificatesOnly(createEngine(templates)) });
    const certs = (p: typeof full): string[][] => p.hosts.flatMap((h) => h.artifacts.filter((a) => a.kind === 'cert' || a.kind === 'kubeconfig').map((a) => [a.id, a.sha256 ?? '']));
    expect(certs(light)).toEqual(certs(full));
    expect(certs(full).filter(([id]) => id?.includes('kubeconfig')).length).toBeGreaterThan(0);
    expect(remoteTargets(light)).toEqual(remoteTargets(full));
  });
});
