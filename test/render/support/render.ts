/**
 * Test helpers: a plan of an inventory with the real CA code (test/support/pki-fixture.ts) at a
 * fixed clock, and a golden-file form of a host's artifacts in which embedded credentials are
 * replaced by what they are ("<kubernetes-ca certificate>"), so goldens pin the renderer, not the
 * CA's bytes.
 */
import type { Inventory } from '../../../src/inventory/types.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import type { ClusterPlan, PlannedHost } from '../../../src/plan/types.js';
import { createEngine, type TemplateEngine } from '../../../src/render/engine.js';
import type { PkiBundle } from '../../../src/pki/types.js';
import { fixtureNow, pkiFixture } from '../../support/pki-fixture.js';
import { shippedTemplates } from './templates.js';

/** The fixed clock of golden renders (certificates issued then may have expired when tests run). */
export const FIXED_NOW = new Date('2026-01-01T00:00:00Z');

/** The fixtures' clock (fixtureNow): certificates valid now, for tests that do real TLS. */
export function today(): Date {
  return fixtureNow();
}

/** Records the first view each template was rendered with (for the strict-mode test). */
export interface RecordingEngine extends TemplateEngine {
  readonly views: ReadonlyMap<string, object>;
}

/** An engine over the shipped templates that remembers one view per template. */
export function recordingEngine(): RecordingEngine {
  const inner = createEngine(shippedTemplates());
  const views = new Map<string, object>();
  return {
    views,
    render(name, view) {
      if (!views.has(name)) views.set(name, view);
      return inner.render(name, view);
    },
  };
}

/** buildPlan over the shipped templates with a fixture PKI issued at `now`. */
export async function planFor(inv: Inventory, opts: { now?: Date; engine?: TemplateEngine } = {}): Promise<ClusterPlan> {
  const pki = await pkiFixture(inv, { now: opts.now ?? FIXED_NOW });
  return buildPlan({ inventory: inv, pki, pkiDecisions: [], templates: shippedTemplates(), ...(opts.engine ? { engine: opts.engine } : {}) });
}

/** Every credential text (PEM and its base64) -> a label. */
function credentialLabels(pki: PkiBundle): Map<string, string> {
  const labels = new Map<string, string>();
  const add = (pem: string, label: string): void => {
    labels.set(pem, label);
    labels.set(Buffer.from(pem).toString('base64'), label);
  };
  for (const [id, m] of pki.certs) {
    add(m.certPem, `<${id} certificate>`);
    if (m.keyPem) add(m.keyPem, `<${id} key>`);
  }
  add(pki.serviceAccount.publicPem, '<service-account public key>');
  add(pki.serviceAccount.privatePem, '<service-account private key>');
  labels.set(`${pki.bootstrapToken.id}.${pki.bootstrapToken.secret}`, '<bootstrap token>');
  return labels;
}

/** Replaces every embedded credential in `text` with its label. */
export function redact(text: string, pki: PkiBundle): string {
  let out = text;
  for (const [secret, label] of [...credentialLabels(pki)].sort((a, b) => b[0].length - a[0].length)) {
    out = out.split(secret).join(label);
  }
  return out;
}

/** A host's artifacts as one reviewable text: a header per file, then its (redacted) content. */
export function goldenText(plan: ClusterPlan, host: PlannedHost): string {
  const lines = [`# host ${host.host.name} roles=[${host.host.roles.join(',')}]`, `# units: ${host.units.join(' ')}`, ''];
  for (const a of host.artifacts) {
    const restarts = a.restarts.length ? ` restarts=${a.restarts.join(',')}` : '';
    const reloads = a.reloads?.length ? ` reloads=${a.reloads.join(',')}` : '';
    lines.push(`=== ${a.path} kind=${a.kind} mode=0${a.mode.toString(8)} phase=${a.phase}${a.secret ? ' secret' : ''}${restarts}${reloads}`);
    if (typeof a.content !== 'string') lines.push(`<binary ${a.content.bundleFile} :: ${a.content.member}>`, '');
    else lines.push(redact(a.content, plan.pki));
  }
  return lines.join('\n');
}
