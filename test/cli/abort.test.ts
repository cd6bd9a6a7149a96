/**
 * The abort plumbing behind #13 items 9 and 10: a stop rejects at once with an Interrupted that
 * carries the signal's exit code; a key still generating is dropped; a closed output does not cut
 * short work that may still complete (`pki check | head -1` keeps its exit code).
 */
import { describe, expect, it } from 'vitest';
import { abortableKeys, abortReason, isQuiet, outputFailed, signalOf, stoppedBy, untilAborted } from '../../src/cli/abort.js';
import type { KeySource } from '../../src/pki/types.js';
import { Interrupted } from '../../src/shared/errors.js';
import { runCliCaptured } from '../support/cli-run.js';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

describe('stop reasons', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s gives exit code %i and remembers the signal', (sig, code) => {
    const r = stoppedBy(sig);
    expect(r).toBeInstanceOf(Interrupted);
    expect([r.exitCode, signalOf(r), isQuiet(r)]).toEqual([code, sig, false]);
  });

  it('a closed pipe is quiet, exit 141; another write error is not', () => {
    expect([outputFailed('stdout', epipe).exitCode, isQuiet(outputFailed('stdout', epipe))]).toEqual([141, true]);
    const full = outputFailed('stdout', Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    expect([full.message, full.exitCode, isQuiet(full)]).toEqual(['cannot write to stdout: ENOSPC', 1, false]);
  });

  it('a foreign abort reason becomes an Interrupted (exit 130)', () => {
    const c = new AbortController();
    c.abort(new Error('something'));
    expect(abortReason(c.signal)?.exitCode).toBe(130);
  });
});

describe('untilAborted', () => {
  it('rejects with the reason as soon as the signal aborts, without waiting for the work', async () => {
    const c = new AbortController();
    const p = untilAborted(never(), c.signal);
    c.abort(stoppedBy('SIGTERM'));
    await expect(p).rejects.toMatchObject({ exitCode: 143 });
  });

  it('with stopsOnly, a closed output lets the work finish and keeps its result', async () => {
    const c = new AbortController();
    let finish: (v: number) => void = () => undefined;
    const p = untilAborted(new Promise<number>((r) => (finish = r)), c.signal, true);
    c.abort(outputFailed('stdout', epipe));
    finish(1);
    await expect(p).resolves.toBe(1);
  });

  it('leaves no listener behind on the signal when the work finishes first', async () => {
    const c = new AbortController();
    let added = 0;
    let removed = 0;
    const sig = c.signal;
    const add = sig.addEventListener.bind(sig);
    const remove = sig.removeEventListener.bind(sig);
    sig.addEventListener = ((...a: Parameters<typeof add>) => (added++, add(...a))) as typeof add;
    sig.removeEventListener = ((...a: Parameters<typeof remove>) => (removed++, remove(...a))) as typeof remove;
    for (let i = 0; i < 20; i += 1) await untilAborted(Promise.resolve(i), sig);
    await new Promise((r) => setImmediate(r)); // the last removal runs in a .finally after the result
    expect([added, removed]).toEqual([20, 20]);
  });
});

describe('abortableKeys', () => {
  it('drops a key that is still generating when the run stops, and starts none after', async () => {
    let resolveKey: (v: { privateKeyPem: string }) => void = () => undefined;
    const slow: KeySource = { generate: () => new Promise((r) => (resolveKey = r)) };
    const c = new AbortController();
    const keys = abortableKeys(slow, c.signal);
    const pending = keys.generate('rsa-4096');
    c.abort(stoppedBy('SIGINT'));
    resolveKey({ privateKeyPem: 'late' });
    await expect(pending).rejects.toMatchObject({ exitCode: 130 });
    await expect(keys.generate('rsa-4096')).rejects.toMatchObject({ exitCode: 130 });
  });
});

describe('runCli under a stop', () => {
  it('a run stopped before the command starts exits with the signal code and says so', async () => {
    const c = new AbortController();
    c.abort(stoppedBy('SIGTERM'));
    const r = await runCliCaptured(['validate', '-i', 'inventory.example.yaml'], { signal: c.signal });
    expect(r.code).toBe(143);
    expect(r.err).toMatch(/^error: validate: interrupted by SIGTERM\nhint: nothing is saved after an interrupt/);
    expect(r.out).toBe('');
  });

  it('a closed output before the command starts stops it quietly (141)', async () => {
    const c = new AbortController();
    c.abort(outputFailed('stdout', epipe));
    const r = await runCliCaptured(['validate', '-i', 'inventory.example.yaml'], { signal: c.signal });
    expect(r).toEqual({ code: 141, out: '', err: '' });
  });
});
