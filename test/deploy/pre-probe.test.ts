import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAnswers, runPreProbes, shQuote } from '../../src/deploy/pre-probe.js';
import type { HostReader } from '../../src/deploy/ssh/connection.js';
import type { Step } from '../../src/deploy/phase.js';

/** A HostReader running probes on this machine with a real /bin/sh, to prove the quoting. */
const localShell: HostReader = {
  name: 'local',
  probe: async (argv) => {
    try {
      return { exitCode: 0, stdout: execFileSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' }), stderr: '' };
    } catch (e) {
      const err = e as { status?: number; stdout?: string };
      return { exitCode: err.status ?? 1, stdout: err.stdout ?? '', stderr: '' };
    }
  },
  stat: async () => new Map(),
};

describe('batched pre-probes', () => {
  it('runs every step probe in one shell and keys answers by step index', async () => {
    const tricky = `it's "$HOME" \\ ; \`x\``;
    const steps: Step[] = [
      { kind: 'note', message: 'no probe' },
      { kind: 'exec', argv: ['x'], why: 'y', unless: ['printf', '%s', tricky] },
      { kind: 'exec', argv: ['x'], why: 'y', unless: ['sh', '-c', 'exit 3'] },
      { kind: 'mkdir', path: '/', mode: 0o755 },
    ];
    const calls: string[][] = [];
    const reader: HostReader = { ...localShell, probe: (argv, o) => (calls.push([...argv]), localShell.probe(argv, o)) };
    const answers = (await runPreProbes(reader, steps, new AbortController().signal)).steps;
    expect(calls).toHaveLength(1);
    expect(answers.get(0)).toBeUndefined();
    expect(answers.get(1)).toEqual({ exitCode: 0, stdout: tricky });
    expect(answers.get(2)).toEqual({ exitCode: 3, stdout: '' });
    expect(answers.get(3)?.exitCode).toBe(0);
  });

  it('quotes only when needed and parses multi-line output', () => {
    expect(shQuote('/opt/etcd/bin/etcd')).toBe('/opt/etcd/bin/etcd');
    expect(shQuote("a'b")).toBe(`'a'\\''b'`);
    expect(parseAnswers('@@ 4 0\nline1\nline2\n@@.\n@@ 7 1\n\n@@.\n')).toEqual(
      new Map([
        [4, { exitCode: 0, stdout: 'line1\nline2' }],
        [7, { exitCode: 1, stdout: '' }],
      ]),
    );
  });
});
