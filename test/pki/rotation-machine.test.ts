/**
 * The rotation state machine on its own (src/pki/rotation.ts, rotation-record.ts, trust-bundle.ts):
 * each stage, the rolled-out mark, resuming from the record, and every refusal with its way forward.
 * Pure: records in, records or PkiErrors out.
 */
import { describe, expect, it } from 'vitest';
import { parseRotation, rotationActive, rotationComplete, serializeRotation, stageApplied, type CaRotation } from '../../src/pki/rotation-record.js';
import { advanceRotation, checkStart, markApplied, rotationName, stageOne, tokenWaitLeftMs, TOKEN_REFRESH_WAIT_MS } from '../../src/pki/rotation.js';
import { checkRotationFits, pemBlocks, trustedPems, trustText } from '../../src/pki/trust-bundle.js';
import { PkiError } from '../../src/shared/errors.js';

const FP = (c: string): string => Array.from({ length: 32 }, () => c.repeat(2)).join(':');
const OLD = { fingerprint: FP('A'), pem: '-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n' };
const NEW = { fingerprint: FP('B'), pem: '-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n' };
const T0 = new Date('2026-05-01T08:00:00Z');
const at = (min: number): Date => new Date(T0.getTime() + min * 60_000);
const FILE = '/srv/inv.yaml';
const start = (name: CaRotation['name'] = 'etcd-ca'): CaRotation => stageOne(name, OLD, NEW, 'KEY', 'backup/x', T0);
const applied = (r: CaRotation, min: number): CaRotation => markApplied(r, { name: r.name, stage: r.stage, nextFingerprint: r.next.fingerprint }, at(min))!;
const refusal = (f: () => unknown): PkiError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PkiError);
    return e as PkiError;
  }
  throw new Error('expected a refusal');
};

describe('stages', () => {
  it('walks 1 -> 2 -> 3 -> complete, one stage per rolled-out apply', () => {
    let r = start();
    expect([r.stage, stageApplied(r), rotationActive(r)]).toEqual([1, false, true]);
    r = applied(r, 10);
    r = advanceRotation(r, 'etcd-ca', at(11), { inventoryFile: FILE });
    expect([r.stage, stageApplied(r), r.nextKeyPem]).toEqual([2, false, undefined]); // the key moved into etcd-ca.key
    r = applied(r, 20);
    r = advanceRotation(r, 'etcd-ca', at(21), { inventoryFile: FILE });
    expect([r.stage, rotationComplete(r)]).toEqual([3, false]);
    r = applied(r, 30);
    expect([rotationComplete(r), rotationActive(r)]).toEqual([true, false]);
    expect(r.stages.map((m) => [m.stage, m.at, m.appliedAt])).toEqual([
      [1, T0.toISOString(), at(10).toISOString()],
      [2, at(11).toISOString(), at(20).toISOString()],
      [3, at(21).toISOString(), at(30).toISOString()],
    ]);
  });

  it('trusts old + new in stages 1 and 2 (signing one first), only the new one from stage 3', () => {
    const r1 = start();
    const r2 = advanceRotation(applied(r1, 1), 'etcd-ca', at(2), { inventoryFile: FILE });
    const r3 = advanceRotation(applied(r2, 3), 'etcd-ca', at(4), { inventoryFile: FILE });
    expect(trustedPems(r1, 'etcd-ca', OLD.pem)).toEqual([OLD.pem, NEW.pem]);
    expect(trustedPems(r2, 'etcd-ca', NEW.pem)).toEqual([NEW.pem, OLD.pem]);
    expect(trustedPems(r3, 'etcd-ca', NEW.pem)).toEqual([NEW.pem]);
    expect(pemBlocks(trustText(r1, 'etcd-ca', OLD.pem))).toEqual([OLD.pem, NEW.pem]);
    // Another identity's bundle, and no rotation at all: the state's PEM byte for byte.
    expect(trustText(r1, 'kubernetes-ca', 'X')).toBe('X');
    expect(trustText(undefined, 'etcd-ca', 'X')).toBe('X');
  });

  it('resumes from the record: serialize -> parse gives the same rotation at every stage', () => {
    const r1 = start();
    const r2 = advanceRotation(applied(r1, 1), 'etcd-ca', at(2), { inventoryFile: FILE });
    for (const r of [r1, applied(r1, 1), r2, applied(r2, 5)]) {
      const again = parseRotation(serializeRotation(r), 'rotation.json');
      expect(again).toEqual(r);
      expect(serializeRotation(again)).toBe(serializeRotation(r));
    }
  });

  it('a mark only lands on the stage apply deployed: a --continue meanwhile leaves it unmarked', () => {
    const r1 = applied(start(), 1);
    const r2 = advanceRotation(r1, 'etcd-ca', at(2), { inventoryFile: FILE });
    expect(markApplied(r2, { name: 'etcd-ca', stage: 1, nextFingerprint: NEW.fingerprint }, at(3))).toBeUndefined();
    expect(markApplied(r1, { name: 'etcd-ca', stage: 1, nextFingerprint: NEW.fingerprint }, at(3))).toBeUndefined(); // marked already
    expect(markApplied(r2, { name: 'etcd-ca', stage: 2, nextFingerprint: FP('C') }, at(3))).toBeUndefined(); // another rotation's root
  });

  it('accepts the command-line names', () => {
    expect(['kubernetes', 'etcd', 'front-proxy', 'sa', 'service-account', 'etcd-ca'].map(rotationName)).toEqual(['kubernetes-ca', 'etcd-ca', 'front-proxy-ca', 'service-account', 'service-account', 'etcd-ca']);
    expect(rotationName('apiserver')).toBeUndefined();
  });
});

describe('refusals name the way forward', () => {
  it('--continue before the stage is rolled out: run a full apply', () => {
    const e = refusal(() => advanceRotation(start(), 'etcd-ca', at(1), { inventoryFile: FILE }));
    expect(e.message).toBe('pki rotate-ca etcd-ca --continue: stage 1 of 3 (trust: old and new trusted, the old one signs) is not rolled out to every host yet');
    expect(e.hint).toContain(`run \`kubesmith apply -i ${FILE}\` (a full run: no --limit, --only or --skip, and every host succeeded)`);
  });

  it('--continue without a rotation, of another name, and after completion', () => {
    expect(refusal(() => advanceRotation(undefined, 'etcd-ca', at(1), { inventoryFile: FILE })).hint).toContain(`kubesmith pki rotate-ca etcd-ca -i ${FILE}`);
    const other = refusal(() => advanceRotation(applied(start('front-proxy-ca'), 1), 'etcd-ca', at(2), { inventoryFile: FILE }));
    expect(other.message).toContain('the rotation in progress is of front-proxy-ca, not etcd-ca');
    expect(other.hint).toContain(`kubesmith pki rotate-ca front-proxy-ca --continue -i ${FILE}`);
    let r = applied(start(), 1);
    r = applied(advanceRotation(r, 'etcd-ca', at(2), { inventoryFile: FILE }), 3);
    r = applied(advanceRotation(r, 'etcd-ca', at(4), { inventoryFile: FILE }), 5);
    expect(refusal(() => advanceRotation(r, 'etcd-ca', at(6), { inventoryFile: FILE })).message).toContain(`completed on ${at(5).toISOString()}; nothing to continue`);
  });

  it('a second rotation while one is in progress, of the same or another name', () => {
    const r = start();
    expect(refusal(() => checkStart('etcd-ca', r, FILE)).message).toContain('a rotation of etcd-ca is already in progress');
    const e = refusal(() => checkStart('kubernetes-ca', applied(r, 1), FILE));
    expect(e.message).toContain('the rotation of etcd-ca is in stage 1 of 3');
    expect(e.hint).toContain(`kubesmith pki rotate-ca etcd-ca --continue -i ${FILE}`);
    expect(() => checkStart('kubernetes-ca', undefined, FILE)).not.toThrow();
  });

  it('service-account: stage 3 waits 24 h after stage 2 reached every host, unless told not to', () => {
    let r = applied(start('service-account'), 1);
    r = applied(advanceRotation(r, 'service-account', at(2), { inventoryFile: FILE }), 10);
    expect(tokenWaitLeftMs(r, at(10))).toBe(TOKEN_REFRESH_WAIT_MS);
    const e = refusal(() => advanceRotation(r, 'service-account', at(70), { inventoryFile: FILE }));
    expect(e.message).toContain(`tokens signed by the old key may still be in use until ${new Date(at(10).getTime() + TOKEN_REFRESH_WAIT_MS).toISOString().replace('.000Z', 'Z')}`);
    expect(e.hint).toContain('--skip-token-wait');
    expect(advanceRotation(r, 'service-account', at(70), { inventoryFile: FILE, skipTokenWait: true }).stage).toBe(3);
    expect(advanceRotation(r, 'service-account', new Date(at(10).getTime() + TOKEN_REFRESH_WAIT_MS), { inventoryFile: FILE }).stage).toBe(3);
    // CAs do not wait: their leaves are all re-issued by kubesmith itself.
    const ca = applied(advanceRotation(applied(start(), 1), 'etcd-ca', at(2), { inventoryFile: FILE }), 3);
    expect(advanceRotation(ca, 'etcd-ca', at(4), { inventoryFile: FILE }).stage).toBe(3);
  });

  it('a record that does not fit the state (a restored or replaced CA) is refused', () => {
    const r1 = start();
    expect(() => checkRotationFits(r1, OLD.fingerprint, '/s')).not.toThrow();
    expect(refusal(() => checkRotationFits(r1, NEW.fingerprint, '/s')).message).toBe('/s/rotation.json: the etcd-ca in the state is not the one the rotation expects at stage 1');
    const r2 = advanceRotation(applied(r1, 1), 'etcd-ca', at(2), { inventoryFile: FILE });
    expect(refusal(() => checkRotationFits(r2, OLD.fingerprint, '/s')).detail[1]).toContain(NEW.fingerprint);
  });

  it('a damaged record is refused with where to restore it from', () => {
    const good = JSON.parse(serializeRotation(start())) as Record<string, unknown>;
    const cases: [string, unknown][] = [
      ['{', 'Expected'],
      [JSON.stringify({ ...good, stage: 4 }), '"stage" must be 1, 2 or 3'],
      [JSON.stringify({ ...good, name: 'apiserver' }), '"name" must be one of'],
      [JSON.stringify({ ...good, nextKeyPem: undefined }), 'stage 1 needs "nextKeyPem"'],
      [JSON.stringify({ ...good, stage: 2 }), 'the last "stages" entry is not stage 2'],
      [JSON.stringify({ ...good, old: { fingerprint: 'x', pem: '' } }), '"old" and "next" need'],
    ];
    for (const [json, why] of cases) {
      const e = refusal(() => parseRotation(json, '/s/rotation.json'));
      expect(e.message).toContain(String(why));
      expect(e.hint).toContain('pki/backup/');
    }
  });
});
