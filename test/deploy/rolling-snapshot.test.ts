/**
 * The snapshot apply takes before an etcd rolling restart (phases/_etcd-rollout-snapshot.ts, the
 * etcd rollout's `before` hook), on the fake fleet with a simulated etcd: the snapshot is saved on
 * the leader, copied here with its sha256 before the first member restarts, and the member's copy
 * removed; a snapshot that does not verify stops the rollout with nothing restarted, removes the
 * member's copy and names --no-etcd-snapshot. (The real thing: test/hosts/rolling-restart.test.ts.)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_TMP } from '../../src/deploy/phases/_etcd-backup.js';
import { PhaseError } from '../../src/shared/errors.js';
import type { FakeHost } from '../support/fake-host.js';
import { apply, installed, renewed } from './_rolling-fleet.js';

const DB = Buffer.from('a bolt database, as far as this test is concerned\n');
const saves = (argv: readonly string[]): boolean => argv[0] === 'sh' && (argv[2] ?? '').includes('snapshot save');
const inspects = (argv: readonly string[]): boolean => argv[0] === 'sh' && (argv[2] ?? '').includes('snapshot status');

/** `etcdctl snapshot save` writes the file; `snapshot status` answers `status`. */
function scriptSnapshot(host: FakeHost, status: string): void {
  host.on(saves, () => {
    host.seed(SNAPSHOT_TMP, DB, 0o600);
    return { exitCode: 0, stdout: '', stderr: '' };
  });
  host.on(inspects, () => ({ exitCode: 0, stdout: `size ${DB.length}\n${status}\n`, stderr: '' }));
}

describe('the etcd snapshot before a rolling restart (fake fleet, simulated etcd)', () => {
  it('saved on the leader, copied here with its sha256 before the first restart, the member keeps no copy', async () => {
    const { plan, fleet, sim } = await installed();
    const next = renewed(plan, ['master01', 'node01', 'node02'], 'renewed');
    const dir = join(mkdtempSync(join(tmpdir(), 'ks-rollsnap-')), 'backups', 'etcd');
    for (const h of fleet.values()) scriptSnapshot(h, 'status 0 {"hash":77,"revision":4242,"totalKey":9,"totalSize":51}');

    const dry = await apply(next, fleet, { dryRun: true, etcdSnapshot: { dir, stamp: '20261205T000000Z' } });
    expect(dry.error).toBeUndefined();
    expect(dry.rollout).toContain(`would take an etcd snapshot on master01 and copy it to ${dir} before the first restart`);
    expect(existsSync(dir)).toBe(false);

    const run = await apply(next, fleet, { etcdSnapshot: { dir, stamp: '20261205T000000Z' } });
    expect(run.error).toBeUndefined();
    const file = join(dir, `${plan.inventory.cluster.name}-20261205T000000Z-rev4242.db`);
    // reported after the order line and before the first member's restart line
    expect(run.rollout[1]).toBe(`etcd snapshot before the restarts: ${file} (from master01, revision 4242); restore with \`kubesmith etcd restore --from\` it`);
    expect(run.rollout[2]).toMatch(/^node01: restarted etcd.service/);
    expect(readFileSync(file)).toEqual(DB);
    expect(readFileSync(`${file}.sha256`, 'utf8')).toBe(`${createHash('sha256').update(DB).digest('hex')}  ${file.split('/').pop()}\n`);
    expect(fleet.get('master01')?.files.has(SNAPSHOT_TMP)).toBe(false);
    expect(sim.restarts).toEqual(['node01', 'node02', 'master01']);
  });

  it('a snapshot that does not verify: nothing restarts, the member\'s copy is removed, the error names --no-etcd-snapshot', async () => {
    const { plan, fleet, sim } = await installed();
    const next = renewed(plan, ['master01', 'node01', 'node02'], 'renewed');
    const dir = join(mkdtempSync(join(tmpdir(), 'ks-rollsnap-')), 'backups', 'etcd');
    for (const h of fleet.values()) scriptSnapshot(h, 'status 1 Error: invalid database');

    const run = await apply(next, fleet, { etcdSnapshot: { dir, stamp: '20261205T000000Z' } });
    expect(run.error).toBeInstanceOf(PhaseError);
    const err = run.error as PhaseError;
    expect(err.failures[0]?.error.message).toBe('rolling restart not started: the etcd snapshot on master01 does not verify: snapshot status failed: Error: invalid database');
    expect(err.hint).toMatch(/nothing was restarted.*or run it with --no-etcd-snapshot to restart without one/);
    expect(sim.restarts).toEqual([]);
    expect(fleet.get('master01')?.files.has(SNAPSHOT_TMP)).toBe(false);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);

    // --no-etcd-snapshot (no target): the rollout runs without one
    const again = await apply(next, fleet);
    expect(again.error).toBeUndefined();
    expect(again.rollout.some((l) => l.includes('snapshot'))).toBe(false);
    expect(sim.restarts).toEqual(['node01', 'node02', 'master01']);
  });
});
