/**
 * `kubesmith pki rotate-ca` through the CLI (in-process runCli) on a real state directory next to a
 * real inventory: what it prints at each step, that `pki check` and `plan` show the stage, the usage
 * errors, and the refusals (exit 1, the way forward named, nothing written).
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRotation } from '../../src/pki/rotation-record.js';
import { recordRotationApplied } from '../../src/state/rotation-flow.js';
import { runCliCaptured, type CliResult } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
const cli = (cwd: string, argv: string[]): Promise<CliResult> => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } });

async function workspace(): Promise<{ cwd: string; pki: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-rotate-cli-'));
  writeFileSync(join(cwd, 'inventory.yaml'), readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
  expect((await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml'])).code).toBe(0);
  return { cwd, pki: join(cwd, '.kubesmith', 'demo', 'pki') };
}
const rolledOut = (pki: string): void => {
  const r = parseRotation(readFileSync(join(pki, 'rotation.json'), 'utf8'), 'r');
  recordRotationApplied(pki, { name: r.name, stage: r.stage, nextFingerprint: r.next.fingerprint }, new Date());
};

describe('kubesmith pki rotate-ca', () => {
  it('walks the stages with the next command printed each time; check and plan show where it is', async () => {
    const { cwd, pki } = await workspace();
    const inv = join(cwd, 'inventory.yaml');
    const start = await cli(cwd, ['pki', 'rotate-ca', 'front-proxy', '-i', 'inventory.yaml']);
    expect(start.code, start.err).toBe(0);
    expect(start.out).toMatch(/^front-proxy-ca rotation: stage 1 of 3 \(trust: old and new trusted, the old one signs\), entered \S+Z; not rolled out yet$/m);
    expect(start.out).toContain('the next `kubesmith apply` (a full run) puts old + new into front-proxy-ca.pem on the control plane');
    expect(start.out).toContain(`next: \`kubesmith apply -i ${inv}\``);
    expect(start.out).toMatch(new RegExp(`the state was backed up to ${pki}/backup/\\S+/ first`));
    expect(start.out).toContain('Nothing on the hosts has changed yet.');

    const check = await cli(cwd, ['pki', 'check', '-i', 'inventory.yaml']);
    expect(check.out).toMatch(/front-proxy-ca rotation: stage 1 of 3 .*not rolled out yet/);
    const checkJson = JSON.parse((await cli(cwd, ['pki', 'check', '-i', 'inventory.yaml', '--json'])).out) as { rotation: { name: string; stage: number; rolledOut: boolean } };
    expect(checkJson.rotation).toMatchObject({ name: 'front-proxy-ca', stage: 1, rolledOut: false });
    const plan = await cli(cwd, ['plan', '-i', 'inventory.yaml']);
    expect(plan.out).toMatch(/- front-proxy-ca rotation: stage 1 of 3 .*; next: `kubesmith apply -i /);

    rolledOut(pki);
    const s2 = await cli(cwd, ['pki', 'rotate-ca', 'front-proxy-ca', '--continue', '-i', 'inventory.yaml', '--json']);
    expect(s2.code, s2.err).toBe(0);
    const j = JSON.parse(s2.out) as { stage: number; reissued: { id: string; action: string }[]; backup: string };
    expect(j.stage).toBe(2);
    expect(j.reissued.map((d) => [d.id, d.action])).toEqual([['front-proxy-ca', 'issue'], ['front-proxy-client', 'renew']]);
    rolledOut(pki);
    const s3 = await cli(cwd, ['pki', 'rotate-ca', 'front-proxy-ca', '--continue', '-i', 'inventory.yaml']);
    expect(s3.out).toMatch(/stage 3 of 3 \(drop: only the new one trusted\)/);
    expect(s3.out).toContain('removes the old one from front-proxy-ca.pem on the control plane');
  });

  it('refuses what would break the rotation, exit 1, the way forward named, nothing written', async () => {
    const { cwd, pki } = await workspace();
    await cli(cwd, ['pki', 'rotate-ca', 'etcd', '-i', 'inventory.yaml']);
    const before = snapshotTree(pki);
    const cases: [string[], RegExp][] = [
      [['pki', 'rotate-ca', 'etcd', '--continue'], /not rolled out to every host yet[\s\S]*kubesmith apply -i/],
      [['pki', 'rotate-ca', 'kubernetes'], /the rotation of etcd-ca is in stage 1 of 3[\s\S]*kubesmith apply -i/],
      [['pki', 'rotate-ca', 'etcd'], /a rotation of etcd-ca is already in progress/],
      [['pki', 'generate', '--new-ca', 'etcd-ca'], /pki generate --new-ca etcd-ca: etcd-ca is being rotated[\s\S]*Finish the rotation instead/],
    ];
    for (const [argv, want] of cases) {
      const r = await cli(cwd, [...argv, '-i', 'inventory.yaml']);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err, argv.join(' ')).toMatch(want);
    }
    expect(treeChanges(before, snapshotTree(pki))).toEqual([]);
  });

  it('usage errors: no name, an unknown name, two names, --skip-token-wait outside service-account --continue', async () => {
    const { cwd } = await workspace();
    const cases: [string[], string][] = [
      [['pki', 'rotate-ca'], 'name the CA to rotate'],
      [['pki', 'rotate-ca', 'apiserver'], '"apiserver" is not a CA or key kubesmith rotates'],
      [['pki', 'rotate-ca', 'etcd', 'sa'], 'name one CA at a time'],
      [['pki', 'rotate-ca', 'etcd', '--skip-token-wait'], '--skip-token-wait only applies to'],
    ];
    for (const [argv, want] of cases) {
      const r = await cli(cwd, [...argv, '-i', 'inventory.yaml']);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(want);
    }
    const help = await cli(cwd, ['help', 'pki', 'rotate-ca']);
    expect(help.out).toContain('kubesmith pki rotate-ca NAME -i FILE [--continue] [--skip-token-wait] [--json]');
  });
});
