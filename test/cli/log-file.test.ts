/**
 * The run log's file: urgent records reach the file at once (a SIGKILL loses none of them); others
 * wait for the end of the event loop's turn or the next urgent record, in order.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogFile } from '../../src/cli/log-file.js';
import { openRunLog } from '../../src/cli/log.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-log-file-'));

describe('run log file', () => {
  it('writes urgent records at once and batches the rest, in order', async () => {
    const path = join(dir, 'a.log');
    let urgent = false;
    const f = openLogFile(path, () => urgent);
    f.write('1\n');
    f.write('2\n');
    expect(readFileSync(path, 'utf8')).toBe('');
    urgent = true;
    f.write('3\n');
    expect(readFileSync(path, 'utf8')).toBe('1\n2\n3\n');
    urgent = false;
    f.write('4\n');
    await new Promise((r) => setImmediate(r));
    expect(readFileSync(path, 'utf8')).toBe('1\n2\n3\n4\n');
    f.write('5\n');
    f.end();
    expect(readFileSync(path, 'utf8')).toBe('1\n2\n3\n4\n5\n');
  });

  it('in an apply, a changed step and a failure are on disk when they are logged; unchanged steps soon after', () => {
    const log = openRunLog(dir, new Date('2026-11-22T07:55:01.123Z'), []);
    log.event({ type: 'run-start', hosts: ['a'], phases: ['etcd'], dryRun: false, lock: 'flock' });
    log.event({ type: 'step', phase: 'etcd', host: 'a', step: 'put /x', status: 'unchanged' });
    log.event({ type: 'step', phase: 'etcd', host: 'a', step: 'put /y', status: 'changed', detail: 'new' });
    const lines = readFileSync(log.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; step?: string });
    expect(lines.map((l) => l.step ?? l.msg)).toEqual(['run-start', 'put /x', 'put /y']);
    log.event({ type: 'step', phase: 'etcd', host: 'a', step: 'put /z', status: 'unchanged' });
    expect(readFileSync(log.path, 'utf8').trim().split('\n')).toHaveLength(3);
    log.close();
    expect(readFileSync(log.path, 'utf8').trim().split('\n')).toHaveLength(4);
  });
});
