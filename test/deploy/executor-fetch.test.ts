/**
 * The executor's fetch step (etcd snapshots to the operator machine): streamed through
 * HostWriter.download into state/fetched-file, kept only when its sha256 equals the host's, with a
 * sha256sum-style file beside it; a mismatch or a failed read leaves nothing under either name.
 * The host is the in-memory FakeHost (its download honours backpressure like a channel); the
 * local side is the real file system.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { executeSteps, StepFailed } from '../../src/deploy/executor.js';
import { newHostRunState } from '../../src/deploy/dry-run.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import type { Step } from '../../src/deploy/phase.js';
import { FakeHost } from '../support/fake-host.js';
import { tickingClock } from './_plan.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function run(host: FakeHost, steps: readonly Step[]): Promise<DeployEvent[]> {
  const events: DeployEvent[] = [];
  await executeSteps(host, steps, newHostRunState(), { phase: 'etcd-snapshot-fetch', emit: (e) => events.push(e), signal: new AbortController().signal, uploads: new PQueue({ concurrency: 1 }), clock: tickingClock() });
  return events;
}

describe('fetch step', () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  it('copies the file, 0600, with <file>.sha256 beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-fetch-'));
    const host = new FakeHost('m1').seed('/var/lib/kubesmith/etcd-backup/snapshot.db', data, 0o600);
    const to = join(dir, 'c-20260101T000000Z-rev7.db');
    const events = await run(host, [{ kind: 'fetch', path: '/var/lib/kubesmith/etcd-backup/snapshot.db', to, sha256: sha(data), size: data.length, why: 'revision 7' }]);
    expect(readFileSync(to).equals(data)).toBe(true);
    expect(statSync(to).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${to}.sha256`, 'utf8')).toBe(`${sha(data)}  c-20260101T000000Z-rev7.db\n`);
    expect(events.find((e) => e.type === 'step')).toMatchObject({ status: 'changed', detail: expect.stringMatching(/^revision 7; 3145745 bytes, sha256 [0-9a-f]{64} matches/) });
    expect(readdirSync(dir).sort()).toEqual(['c-20260101T000000Z-rev7.db', 'c-20260101T000000Z-rev7.db.sha256']);
  });
  it('without a planned digest, the one the host computes while sending is the check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-fetch-'));
    const host = new FakeHost('m1').seed('/s.db', data);
    await run(host, [{ kind: 'fetch', path: '/s.db', to: join(dir, 'x.db'), size: data.length, why: 'r' }]);
    expect(readFileSync(`${join(dir, 'x.db')}.sha256`, 'utf8')).toBe(`${sha(data)}  x.db\n`);
  });
  it('a file whose digest is not the planned one is dropped: no file, no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-fetch-'));
    const host = new FakeHost('m1').seed('/s.db', data);
    const err = await run(host, [{ kind: 'fetch', path: '/s.db', to: join(dir, 'x.db'), sha256: 'f'.repeat(64), size: data.length, why: 'r' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toMatch(/changed on the host/);
    expect(readdirSync(dir)).toEqual([]);
  });
  it('a file the host cannot read fails the step naming host and command; nothing is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-fetch-'));
    const err = await run(new FakeHost('m1'), [{ kind: 'fetch', path: '/missing.db', to: join(dir, 'x.db'), sha256: sha(data), size: 1, why: 'r' }]).catch((e: unknown) => e);
    expect((err as StepFailed).message).toMatch(/m1.*cat \/missing\.db/s);
    expect(readdirSync(dir)).toEqual([]);
  });
});
