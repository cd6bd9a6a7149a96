import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createReporter, formatDuration } from '../../src/cli/reporter.js';
import { openRunLog } from '../../src/cli/log.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import { RemoteCommandError } from '../../src/shared/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'ks-log-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sink(): { out: Writable; text: () => string } {
  let buf = '';
  return { out: new Writable({ write: (c, _e, cb) => ((buf += String(c)), cb()) }), text: () => buf };
}

const RUN: readonly DeployEvent[] = [
  { type: 'run-start', hosts: ['node01', 'node02'], phases: ['connect', 'etcd'], dryRun: false, lock: 'flock' },
  { type: 'phase-start', phase: 'etcd', title: 'Install etcd', hosts: ['node01', 'node02'] },
  { type: 'step', phase: 'etcd', host: 'node01', step: 'put /opt/etcd/ssl/server-key.pem', status: 'changed', detail: 'new', secret: true },
  { type: 'host-done', phase: 'etcd', host: 'node01', changed: 2, restarted: ['etcd.service'], durationMs: 0, notes: [] },
  { type: 'host-failed', phase: 'etcd', host: 'node02', step: 'restart etcd.service', error: new RemoteCommandError('node02', 'systemctl restart etcd.service', 1, 'Job for etcd.service failed.\ntoken abcdef.0123456789abcdef') },
  { type: 'report', phase: 'etcd', title: 'etcd endpoint health and status', columns: ['MEMBER', 'HEALTH'], rows: [['node01', 'healthy']] },
  { type: 'phase-done', phase: 'etcd', durationMs: 1200, failed: ['node02'] },
  { type: 'run-done', durationMs: 134_000, dryRun: false, hosts: [{ host: 'node01', changed: 2, restarted: ['etcd.service'], durationMs: 3100 }, { host: 'node02', changed: 0, restarted: [], durationMs: 900, failedIn: 'etcd' }] },
];

describe('reporter (plain lines)', () => {
  it('prints phase headers, per-host results, failures with detail, tables and the summary', () => {
    const s = sink();
    const r = createReporter({ out: s.out, live: false, color: false });
    for (const e of RUN) r(e);
    expect(s.text()).toBe(
      [
        'kubesmith apply: 2 hosts, phases: connect -> etcd',
        '==> Install etcd (2 hosts)',
        '  node01: 2 files changed, restarted etcd.service',
        '  node02: FAILED at restart etcd.service: node02: command failed with exit code 1: systemctl restart etcd.service',
        '    Job for etcd.service failed.',
        '    token abcdef.0123456789abcdef',
        '  etcd endpoint health and status:',
        '    MEMBER  HEALTH',
        '    node01  healthy',
        '  HOST    FILES CHANGED  RESTARTED     DURATION  RESULT',
        '  node01  2              etcd.service  3.1s      ok',
        '  node02  0              -             0.9s      failed in etcd',
        '==> Finished in 2m14s',
        '',
      ].join('\n'),
    );
    expect(formatDuration(59_999)).toBe('60.0s');
  });
});

describe('run log', () => {
  it('writes one JSON record per event, 0600, with the bootstrap token secret and secret content redacted', () => {
    const log = openRunLog(tmp, new Date('2026-11-22T07:55:01.123Z'), ['0123456789abcdef']);
    for (const e of RUN) log.event(e);
    log.info('extra', { content: 'PRIVATE KEY', nested: { secret: 'x' } });
    log.close();
    expect(log.path).toBe(join(tmp, 'logs', '2026-11-22T07-55-01-123Z.log'));
    expect(statSync(log.path).mode & 0o777).toBe(0o600);
    const text = readFileSync(log.path, 'utf8');
    const recs = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => r.msg)).toEqual(['run-start', 'phase-start', 'step', 'host-done', 'host-failed', 'report', 'phase-done', 'run-done', 'extra']);
    expect(recs[4]).toMatchObject({ level: 50, phase: 'etcd', host: 'node02', error: { code: 'E_REMOTE_EXIT' } });
    // each key once (a child logger per event wrote phase and host twice)
    for (const line of text.trim().split('\n').slice(0, 7)) for (const k of ['"phase":', '"host":']) expect(line.split(k).length, line).toBeLessThanOrEqual(2);
    expect(text).not.toContain('0123456789abcdef');
    expect(text).toContain('abcdef.[redacted]');
    expect(text).not.toContain('PRIVATE KEY');
  });
});
