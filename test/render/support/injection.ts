/**
 * Shared parts of the injection tests (injection.test.ts, injection-programs.test.ts): the recorded
 * view of every template, its string leaves, a render that returns refusals instead of throwing, and
 * which refusals are legitimate (each escaper documents what its format cannot carry).
 */
import { expect } from 'vitest';
import type { Inventory } from '../../../src/inventory/types.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import { createEngine } from '../../../src/render/engine.js';
import { TemplateError } from '../../../src/shared/errors.js';
import { aHost, exampleInventory } from '../../support/inventory-builder.js';
import { pkiFixture } from '../../support/pki-fixture.js';
import { FIXED_NOW, recordingEngine } from './render.js';
import { shippedTemplates } from './templates.js';

/** The PKI of the example, issued once: hostile values go into fields the certificates do not use. */
export const pki = pkiFixture(exampleInventory(), { now: FIXED_NOW });
/** buildPlan of `inv` with that PKI. */
export async function planOf(inv: Inventory) {
  return buildPlan({ inventory: inv, pki: await pki, pkiDecisions: [], templates: shippedTemplates() });
}

/** Recorded views of every template (example and VIP variants), computed once. */
let views: Promise<ReadonlyMap<string, object>> | undefined;
export function recordedViews(): Promise<ReadonlyMap<string, object>> {
  views ??= recordViews();
  return views;
}
async function recordViews(): Promise<ReadonlyMap<string, object>> {
  const engine = recordingEngine();
  // containerd 1.x (config version 2): the TOML checks read it with Debian bookworm's containerd 1.6;
  // versions 3 and 4 get the same checks in containerd-v3/v4.test.ts.
  const example = exampleInventory();
  const base = exampleInventory({ containerd: { ...example.containerd, version: 'v1.7.29' } });
  await buildPlan({ inventory: base, pki: await pki, pkiDecisions: [], templates: shippedTemplates(), engine });
  const vip = exampleInventory({
    cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
    hosts: [...base.hosts, aHost('lb01', '192.168.80.13', ['loadbalancer'])],
  });
  await buildPlan({ inventory: vip, pki: await pkiFixture(vip, { now: FIXED_NOW }), pkiDecisions: [], templates: shippedTemplates(), engine });
  return engine.views;
}

/** Where a string sits in a view: keys and list indexes. */
export type Path = readonly (string | number)[];
/** Every string in a view (lists and settings included). */
export function leaves(v: unknown, at: Path = []): Path[] {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...at, i]));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...at, k]));
  return [];
}
/** A copy of `v` with the string at `at` replaced by f(old). */
export function setAt(v: unknown, at: Path, f: (old: string) => string): unknown {
  if (at.length === 0) return f(v as string);
  const [head, ...rest] = at;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  copy[head!] = setAt(copy[head!], rest, f);
  return copy;
}

/** A harmless value that renders plain in every format. */
export const MARK = 'kSmArKeR';
const engine = createEngine(shippedTemplates());
/** Renders a shipped template; a TemplateError (a refusal) is returned, not thrown. */
export function render(name: string, view: unknown): string | TemplateError {
  try {
    return engine.render(name, view as object);
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
}

/** Which escaper may refuse which value (escape.ts documents each); anything else must render. */
const MAY_REFUSE: readonly [RegExp, (v: string) => boolean][] = [
  [/: comment: /, (v) => /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(v)],
  [/: Corefile: /, (v) => !/^[A-Za-z0-9_.:/-]+$/.test(v)],
  [/: keepalived: /, (v) => !/^[A-Za-z0-9_.:/@+=, -]+$/.test(v)],
  [/: nginx: /, (v) => /[\u0000$]/.test(v)],
  [/: systemd: /, (v) => v.includes('\u0000')],
  [/: systemd executable: /, (v) => !/^(\/[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*)+$/.test(v)],
];
/** Asserts a refusal came from an escaper that documents it, for a value it cannot carry, at a template position. */
export function expectLegitimateRefusal(err: TemplateError, value: string, where: string): void {
  const rule = MAY_REFUSE.find(([re]) => re.test(err.message));
  expect(rule, `${where}: unexpected refusal: ${err.message}`).toBeDefined();
  expect(rule![1](value), `${where}: refused a value the format can carry: ${err.message}`).toBe(true);
  expect(err.message).toMatch(/^\S+:\d+:\d+: refusing to render a value that could change the file's meaning/);
}

