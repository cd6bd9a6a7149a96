/** Strict templates: every template fails loudly, naming itself and the field, when a view lacks a field. */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/render/engine.js';
import { TEMPLATE_NAMES } from '../../src/render/templates.js';
import { TemplateError } from '../../src/shared/errors.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { planFor, recordingEngine } from './support/render.js';
import { shippedTemplates } from './support/templates.js';

/** Renders the example and a VIP variant so that every template is used at least once. */
async function recordedViews(): Promise<ReadonlyMap<string, object>> {
  const engine = recordingEngine();
  await planFor(exampleInventory(), { engine });
  const base = exampleInventory();
  const vip = exampleInventory({
    cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
    hosts: [...base.hosts, aHost('lb01', '192.168.80.13', ['loadbalancer'])],
    // A registry mirror, for manifests/containerd-hosts.toml.hbs.
    containerd: { ...base.containerd, mirrors: [{ registry: 'docker.io', endpoints: ['https://mirror.example:5000'] }] },
  });
  await planFor(vip, { engine });
  return engine.views;
}

function renderError(name: string, view: object): unknown {
  try {
    createEngine(shippedTemplates()).render(name, view);
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('template engine', () => {
  it('renders every shipped template, and each fails on every missing view field', async () => {
    const views = await recordedViews();
    expect([...views.keys()].sort()).toEqual([...TEMPLATE_NAMES].sort());
    for (const [name, view] of views) {
      const fields = Object.keys(view);
      expect(fields.length, name).toBeGreaterThan(0);
      for (const field of fields) {
        const partial = Object.fromEntries(Object.entries(view).filter(([k]) => k !== field));
        const err = renderError(name, partial);
        expect(err, `${name} without ${field}`).toBeInstanceOf(TemplateError);
        expect((err as TemplateError).message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}:\\d+:\\d+: missing field "${field}"`));
      }
    }
  });

  it('names a missing template', () => {
    expect(() => createEngine(new Map()).render('units/nope.service.hbs', {})).toThrow(/units\/nope\.service\.hbs: template not found/);
  });

  it('does not HTML-escape (units and YAML carry & < > and quotes verbatim)', () => {
    const engine = createEngine(new Map([['t', 'x={{v}}']]));
    expect(engine.render('t', { v: `a&b<c>"d'` })).toBe(`x=a&b<c>"d'`);
  });

  it('fails on a missing block parameter too ({{#each}} over an absent list)', () => {
    const engine = createEngine(new Map([['t', 'a\n{{#each args}}{{this}}{{/each}}']]));
    expect(() => engine.render('t', {})).toThrow(/^t:2:0: missing field "args"/);
  });
});
