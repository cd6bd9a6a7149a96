/** A real plan (renderer + CA fixture) for phase tests, over the example inventory or a variant. */
import { buildPlan } from '../../../src/plan/build-plan.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import type { Inventory } from '../../../src/inventory/types.js';
import type { PkiBundle } from '../../../src/pki/types.js';
import { loadTemplates } from '../../../src/state/load-templates.js';
import { pkiFixtureResult } from '../../support/pki-fixture.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { createHash } from 'node:crypto';

/** The example plan with every binary "resolved" to a fake local file (sha of its path); `tweak` adjusts the PKI bundle (a state record). */
export async function realPlan(inv: Inventory = exampleInventory(), tweak: (b: PkiBundle) => PkiBundle = (b) => b): Promise<ClusterPlan> {
  const r = await pkiFixtureResult(inv);
  const plan = buildPlan({ inventory: inv, pki: tweak(r.bundle), pkiDecisions: r.decisions, templates: loadTemplates() });
  return {
    ...plan,
    hosts: plan.hosts.map((h) => ({
      ...h,
      artifacts: h.artifacts.map((a) =>
        typeof a.content === 'string' ? a : { ...a, content: { ...a.content, localFile: `/nonexistent/${a.content.member}`, size: 100 }, sha256: createHash('sha256').update(a.path).digest('hex') },
      ),
    })),
  };
}
