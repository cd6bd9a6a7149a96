/**
 * #13 item 4: the renewal threshold follows the leaf lifetime (min(30 days, a third of it)), so a
 * short lifetime does not renew every leaf on every run; validate rejects lifetimes that cannot
 * work; `pki check` and `pki renew --due` use the same threshold as `pki generate`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateInventory } from '../../src/inventory/validate.js';
import type { Inventory } from '../../src/inventory/types.js';
import { checkPki } from '../../src/pki/check.js';
import { renewalWindowMs } from '../../src/pki/renewal.js';
import { loadCatalogue } from '../../src/state/load-catalogue.js';
import { loadPkiState } from '../../src/state/pki-store.js';
import { generatePki } from '../../src/state/pki-flow.js';
import { runCliCaptured } from '../support/cli-run.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { fixedClock, fixtureKeySource, seededEntropy } from '../support/pki-fixture.js';

const T0 = new Date('2026-05-01T08:00:00Z');
const DAY = 86_400_000;
const sources = (now: Date) => ({ clock: fixedClock(now), entropy: seededEntropy(String(now.getTime())), keys: fixtureKeySource() });
const newDir = () => join(mkdtempSync(join(tmpdir(), 'kubesmith-threshold-')), 'pki');
const withLeafDays = (days: number, caDays = 3650): Inventory => {
  const inv = exampleInventory();
  return { ...inv, pki: { ...inv.pki, keyAlgorithm: 'ecdsa-p256', leafValidityDays: days, caValidityDays: caDays } };
};
const changed = (r: Awaited<ReturnType<typeof generatePki>>) => r.decisions.filter((d) => d.action !== 'keep' && d.id !== 'bootstrap-token');

describe('renewal threshold follows the leaf lifetime', () => {
  it('is 30 days for long lifetimes and a third of short ones', () => {
    expect(renewalWindowMs(365)).toBe(30 * DAY);
    expect(renewalWindowMs(90)).toBe(30 * DAY);
    expect(renewalWindowMs(30)).toBe(10 * DAY);
    expect(renewalWindowMs(1)).toBe(DAY / 3);
  });

  for (const days of [30, 7, 1]) {
    it(`leafValidityDays: ${days} keeps every fresh leaf on the next runs (no renew loop)`, async () => {
      const dir = newDir();
      await generatePki(withLeafDays(days), dir, { sources: sources(T0) });
      const again = await generatePki(withLeafDays(days), dir, { sources: sources(new Date(T0.getTime() + 3600_000)) });
      expect(changed(again)).toEqual([]);
      expect(again.writes.filter((w) => w.name !== 'bootstrap-token.json')).toEqual([]);
    });
  }

  it('renews a 30-day leaf once two thirds of its life have passed, and says why', async () => {
    const dir = newDir();
    await generatePki(withLeafDays(30), dir, { sources: sources(T0) });
    const at19 = await generatePki(withLeafDays(30), dir, { sources: sources(new Date(T0.getTime() + 19 * DAY)) });
    expect(changed(at19)).toEqual([]);
    const at21 = await generatePki(withLeafDays(30), dir, { sources: sources(new Date(T0.getTime() + 21 * DAY)) });
    const apiserver = at21.decisions.find((d) => d.id === 'apiserver');
    expect(apiserver).toEqual({ id: 'apiserver', action: 'renew', reason: 'expires within 10 days (2026-05-31)' });
  });

  it('pki check marks rows inside the same window as "renew due", and only those', async () => {
    const dir = newDir();
    await generatePki(withLeafDays(30), dir, { sources: sources(T0) });
    const state = loadPkiState(dir);
    const fresh = checkPki(loadCatalogue(), withLeafDays(30), state, new Date(T0.getTime() + 3600_000));
    expect(fresh.filter((r) => r.status !== 'ok')).toEqual([]);
    const late = checkPki(loadCatalogue(), withLeafDays(30), state, new Date(T0.getTime() + 21 * DAY));
    expect(new Set(late.filter((r) => r.kind === 'leaf').map((r) => r.status))).toEqual(new Set(['renew due']));
    expect(late.filter((r) => r.kind === 'ca').map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('validate rejects PKI lifetimes that cannot work (FILE:LINE:COL)', () => {
  const base = readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8');
  const withPki = (lines: string): string => base.replace('pki:\n', `pki:\n${lines}`);
  // The line right after `pki:` in the example, where withPki puts the first setting.
  const L = base.split('\n').indexOf('pki:') + 2;
  const messages = (text: string): string[] => validateInventory(text, 'inv.yaml').issues.filter((i) => i.severity === 'error').map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`);

  it('accepts the defaults and short but workable lifetimes', () => {
    expect(messages(base)).toEqual([]);
    expect(messages(withPki('  leafValidityDays: 1\n  caValidityDays: 30\n  bootstrapTokenTTLHours: 2\n'))).toEqual([]);
  });

  it('rejects leafValidityDays 0 and a leaf longer than its CA', () => {
    expect(messages(withPki('  leafValidityDays: 0\n'))).toEqual([expect.stringMatching(new RegExp(`^inv\\.yaml:${L}:21: .*positive whole number of days`))]);
    expect(messages(withPki('  leafValidityDays: 400\n  caValidityDays: 300\n'))).toEqual([expect.stringMatching(new RegExp(`^inv\\.yaml:${L}:\\d+: leafValidityDays 400 is longer than caValidityDays 300`))]);
  });

  it('rejects a bootstrap token TTL that is replaced on every run', () => {
    expect(messages(withPki('  bootstrapTokenTTLHours: 1\n'))).toEqual([
      `inv.yaml:${L}:27: bootstrapTokenTTLHours 1 is too short: kubesmith replaces a token with less than 1 hour left, so every run would make a new one; use at least 2 (default 24)`,
    ]);
  });

  it('rejects a CA too short-lived to sign leaves past its own renewal window', () => {
    expect(messages(withPki('  caValidityDays: 2\n  leafValidityDays: 1\n'))).toEqual([
      expect.stringMatching(new RegExp(`^inv\\.yaml:${L}:19: caValidityDays 2 is too short: .*at least 30`)),
    ]);
  });
});

describe('pki renew --due renews exactly what pki check shows as due', () => {
  it('renews nothing on a fresh PKI, and names the threshold', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-due-'));
    writeFileSync(join(cwd, 'inventory.yaml'), readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
    const cli = (argv: string[]) => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } });
    expect((await cli(['pki', 'generate', '-i', 'inventory.yaml'])).code).toBe(0);
    const r = await cli(['pki', 'renew', '-i', 'inventory.yaml', '--due']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('nothing to renew: no certificate is within its renewal window (30 days for 365-day leaves)');
    const both = await cli(['pki', 'renew', '-i', 'inventory.yaml', '--due', '--all']);
    expect(both.code).toBe(2);
  });
});
