/**
 * gather-facts judges every unit binary in its own round trip ("@runnable", _facts.ts), with this
 * machine's real /bin/sh and /proc: the answers are exactly probeRunnable's (a live process vouches
 * for the very file it runs, a file that replaced it is asked --version, stubs and missing files do
 * not run). The runner drops an answer once a phase wrote that file (stale-runnable.ts), so the next
 * service phase judges the new binary; the service phases ask nothing on a run that wrote none.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factsScript, parseFacts } from '../../../src/deploy/phases/_facts.js';
import { probeRunnable, gatherRunnable } from '../../../src/deploy/phases/_units.js';
import { addedSince, withoutStaleRunnable } from '../../../src/deploy/stale-runnable.js';
import { localReader } from '../../status/support/local-reader.js';
import { runnableFixture } from './_runnable-fixture.js';

const { dir, ctx, children, realBinary, startLive } = runnableFixture('ks-facts-runnable-');

/** What the facts round trip finds for `bins` (the whole script, as it runs on a host). */
async function factsRunnable(bins: readonly string[]): Promise<ReadonlyMap<string, string | undefined> | undefined> {
  const reader = localReader('local');
  const r = await reader.probe(['sh', '-c', factsScript([], [], [], bins)]);
  expect(r.exitCode).toBe(0);
  return parseFacts(r.stdout, Date.now()).runnable;
}

describe('gather-facts: @runnable', () => {
  it('answers what probeRunnable answers: running, --version, stub, missing, replaced under a live process', async () => {
    const live = realBinary('live');
    const idle = realBinary('idle');
    const stub = join(dir, 'stub');
    writeFileSync(stub, '#!/bin/sh\necho "kubesmith test stub" >&2\nexit 1\n', { mode: 0o755 });
    const replaced = realBinary('replaced');
    await startLive(replaced);
    writeFileSync(`${replaced}.new`, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    renameSync(`${replaced}.new`, replaced); // an atomic write over a running binary
    const pid = await startLive(live);
    const bins = [live, idle, stub, replaced, join(dir, 'missing')];
    const fromFacts = await factsRunnable(bins);
    expect(fromFacts?.get(live)).toBe(`running as pid ${pid}`);
    expect(fromFacts?.get(idle)).toMatch(/^sleep \(GNU coreutils\) /);
    expect([...(fromFacts ?? [])]).toEqual([...((await probeRunnable(localReader('local'), bins, ctx)).runnable ?? [])]);
  });

  it('leaves a path with white space to the service phase (no answer, so gatherRunnable asks)', async () => {
    const spaced = realBinary('with space');
    const plain = realBinary('plain');
    const fromFacts = await factsRunnable([spaced, plain]);
    expect(fromFacts?.has(spaced)).toBe(false);
    expect(fromFacts?.get(plain)).toMatch(/^sleep /);
    const reader = localReader('local');
    const got = await gatherRunnable(reader, { runnable: fromFacts ?? new Map() }, [spaced, plain], ctx);
    expect(reader.calls).toHaveLength(1);
    expect(got.runnable?.get(spaced)).toMatch(/^sleep /);
  });

  it('no unit binary: no section, no runnable facts', () => {
    expect(factsScript([], [], [], [])).not.toContain('@runnable');
    expect(parseFacts('@os\nID=debian\n', Date.now()).runnable).toBeUndefined();
  });
});

describe('stale runnable answers', () => {
  it('a phase that wrote a judged binary drops its answer; the next gather judges the new file', async () => {
    const bin = realBinary('upgraded');
    const other = realBinary('other');
    await startLive(bin);
    const facts = { runnable: (await factsRunnable([bin, other])) ?? new Map<string, string | undefined>() };
    expect(facts.runnable?.get(bin)).toMatch(/^running as pid /);
    // the binaries phase writes a stub over it
    writeFileSync(`${bin}.new`, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    renameSync(`${bin}.new`, bin);
    const changed = new Set(['/etc/earlier.conf']);
    const before = changed.size;
    changed.add(bin).add('/etc/demo.conf');
    const after = withoutStaleRunnable(facts, addedSince(changed, before));
    expect(after.runnable?.has(bin)).toBe(false);
    expect(after.runnable?.get(other)).toMatch(/^sleep /);
    const reader = localReader('local');
    const judged = await gatherRunnable(reader, after, [bin, other], ctx);
    expect(reader.calls).toHaveLength(1);
    expect(reader.calls[0]?.join(' ')).not.toContain(other);
    expect(judged.runnable?.get(bin)).toBeUndefined();
    expect(judged.runnable?.has(bin)).toBe(true);
  });

  it('nothing written, or no binary among the writes: the same facts object', () => {
    const facts = { runnable: new Map([['/opt/kubernetes/bin/kubelet', 'running as pid 7']]) };
    expect(withoutStaleRunnable(facts, [])).toBe(facts);
    expect(withoutStaleRunnable(facts, ['/etc/hosts'])).toBe(facts);
    expect(withoutStaleRunnable({}, ['/opt/kubernetes/bin/kubelet'])).toEqual({});
    const s = new Set(['a', 'b']);
    expect(addedSince(s, 2)).toEqual([]);
    expect(addedSince(s.add('c'), 2)).toEqual(['c']);
  });
});
