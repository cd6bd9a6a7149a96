/**
 * probeRunnable on this machine's real /bin/sh and /proc (the argv is exactly what runs on a host):
 * a binary a live process was executed from is "running" without being started again; a file
 * that replaced it is judged by its own `--version`, so a stub installed over a running binary is
 * still refused; stubs and missing files never run. The API phases reuse what the service phases
 * of the same run found (gatherRunnable).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeRunnable } from '../../../src/deploy/phases/_units.js';
import { gatherRunnable } from '../../../src/deploy/phases/_api-access.js';
import { localReader } from '../../status/support/local-reader.js';
import { runnableFixture } from './_runnable-fixture.js';

const { dir, ctx, children, realBinary, startLive } = runnableFixture('ks-runnable-');

/** The test bundle's kind of stub: a script that fails whatever it is asked. */
function stubScript(path: string): void {
  writeFileSync(path, '#!/bin/sh\necho "kubesmith test stub" >&2\nexit 1\n', { mode: 0o755 });
}

describe('probeRunnable', () => {
  it('vouches for a binary by the live process executed from it, and asks --version otherwise', async () => {
    const live = realBinary('live');
    const idle = realBinary('idle');
    const pid = await startLive(live);
    const reader = localReader('local');
    const { runnable } = await probeRunnable(reader, [live, idle], ctx);
    expect(runnable?.get(live)).toBe(`running as pid ${pid}`);
    expect(runnable?.get(idle)).toMatch(/^sleep \(GNU coreutils\) /);
    expect(reader.calls).toHaveLength(1); // one round trip for every binary
  });

  it('judges a file that replaced a running binary by itself: a stub over it does not run', async () => {
    const bin = realBinary('replaced');
    await startLive(bin);
    const next = join(dir, 'replaced.new');
    stubScript(next);
    renameSync(next, bin); // what an atomic write does; the process keeps the old inode
    const { runnable } = await probeRunnable(localReader('local'), [bin], ctx);
    expect(runnable?.get(bin)).toBeUndefined();
  });

  it('a new real binary over a running one is asked --version (not vouched for by the old process)', async () => {
    const bin = realBinary('upgraded');
    await startLive(bin);
    copyFileSync('/bin/sleep', `${bin}.new`);
    chmodSync(`${bin}.new`, 0o755);
    renameSync(`${bin}.new`, bin);
    const { runnable } = await probeRunnable(localReader('local'), [bin], ctx);
    expect(runnable?.get(bin)).toMatch(/^sleep \(GNU coreutils\) /);
  });

  it('a stub script (even while it runs, its process is /bin/sh) and a missing file do not run', async () => {
    const stub = join(dir, 'stub');
    writeFileSync(stub, '#!/bin/sh\n[ "$1" = "--version" ] && exit 1\nexec sleep 300\n', { mode: 0o755 });
    children.push(spawn(stub, ['serve'], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 200));
    const missing = join(dir, 'missing');
    const { runnable } = await probeRunnable(localReader('local'), [stub, missing], ctx);
    expect([...(runnable ?? [])]).toEqual([
      [stub, undefined],
      [missing, undefined],
    ]);
  });
});

describe('gatherRunnable (the API phases)', () => {
  it('asks only about binaries this run has not judged yet, and keeps the others', async () => {
    const known = realBinary('known');
    const fresh = realBinary('fresh');
    const reader = localReader('local');
    const facts = { runnable: new Map<string, string | undefined>([[known, 'v1.36.3'], ['/opt/stub', undefined]]) };
    expect(await gatherRunnable(reader, facts, [known, '/opt/stub'], ctx)).toEqual({});
    expect(reader.calls).toHaveLength(0);
    const merged = (await gatherRunnable(reader, facts, [known, fresh], ctx)).runnable;
    expect(reader.calls).toHaveLength(1);
    expect(reader.calls[0]?.join(' ')).not.toContain(known);
    expect(merged?.get(known)).toBe('v1.36.3');
    expect(merged?.get('/opt/stub')).toBeUndefined();
    expect(merged?.has('/opt/stub')).toBe(true);
    expect(merged?.get(fresh)).toMatch(/^sleep \(GNU coreutils\) /);
  });
});
