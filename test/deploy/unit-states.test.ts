/**
 * Unit questions asked for many units at once (src/deploy/unit-states.ts, pre-probe.ts): the
 * answers each step gets are what the one-unit `systemctl is-enabled/is-active UNIT` answers, in
 * every state systemd reports (outputs below as systemd 252 prints them), and a many-unit answer
 * that is not one line per unit (is-enabled stopped at a unit without a file) is never trusted.
 */
import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/deploy/phase.js';
import { runPreProbes } from '../../src/deploy/pre-probe.js';
import type { CommandResult, HostReader } from '../../src/deploy/ssh/connection.js';
import { splitUnitStates, unitStatesArgv } from '../../src/deploy/unit-states.js';

describe('splitUnitStates', () => {
  it('gives each unit the one-unit answer: exit codes by state as systemctl sets them', () => {
    const units = ['a.service', 'b.service', 'c.service', 'd.service', 'e.service'];
    expect(splitUnitStates('is-active', units, { exitCode: 3, stdout: 'active\nfailed\nactivating\ninactive\nreloading' })).toEqual(
      new Map([
        ['a.service', { exitCode: 0, stdout: 'active' }],
        ['b.service', { exitCode: 3, stdout: 'failed' }],
        ['c.service', { exitCode: 3, stdout: 'activating' }],
        ['d.service', { exitCode: 3, stdout: 'inactive' }],
        ['e.service', { exitCode: 0, stdout: 'reloading' }],
      ]),
    );
    expect(splitUnitStates('is-enabled', units, { exitCode: 0, stdout: 'enabled\nmasked\ndisabled\nstatic\nenabled-runtime' })).toEqual(
      new Map([
        ['a.service', { exitCode: 0, stdout: 'enabled' }],
        ['b.service', { exitCode: 1, stdout: 'masked' }],
        ['c.service', { exitCode: 1, stdout: 'disabled' }],
        ['d.service', { exitCode: 0, stdout: 'static' }],
        ['e.service', { exitCode: 0, stdout: 'enabled-runtime' }],
      ]),
    );
  });

  it('an unknown unit: is-active says inactive like for one unit', () => {
    expect(splitUnitStates('is-active', ['x.service', 'nosuch.service'], { exitCode: 0, stdout: 'active\ninactive' }).get('nosuch.service')).toEqual({ exitCode: 3, stdout: 'inactive' });
  });

  it('is-enabled stopped at a unit without a file: no line is trusted (they could belong to other units)', () => {
    // `systemctl is-enabled kubelet.service nosuch.service containerd.service` prints "enabled" and stops (exit 1).
    expect(splitUnitStates('is-enabled', ['kubelet.service', 'nosuch.service', 'containerd.service'], { exitCode: 1, stdout: 'enabled' })).toEqual(new Map());
    expect(splitUnitStates('is-enabled', ['nosuch.service'], { exitCode: 1, stdout: '' })).toEqual(new Map());
  });

  it('no answer, too many lines or a line that is not a state: nothing is trusted', () => {
    expect(splitUnitStates('is-active', ['a.service'], undefined)).toEqual(new Map());
    expect(splitUnitStates('is-active', ['a.service'], { exitCode: 0, stdout: 'active\nactive' })).toEqual(new Map());
    expect(splitUnitStates('is-enabled', ['a.service'], { exitCode: 0, stdout: 'enabled\n  /etc/systemd/system/multi-user.target.wants/a.service' })).toEqual(new Map());
    expect(splitUnitStates('is-enabled', ['a.service'], { exitCode: 1, stdout: 'Failed to connect to bus' })).toEqual(new Map());
  });

  it('asks all units in one command, in order', () => {
    expect(unitStatesArgv('is-enabled', ['etcd.service', 'kubelet.service'])).toEqual(['systemctl', 'is-enabled', 'etcd.service', 'kubelet.service']);
  });
});

/** A host whose systemctl behaves like systemd 252's for the units in `files` (absent: no unit file). */
function systemdHost(files: ReadonlyMap<string, { enabled: string; active: string }>, log: string[]): HostReader {
  const systemctl = (args: readonly string[]): CommandResult => {
    const [query, ...units] = args;
    const lines: string[] = [];
    for (const u of units) {
      const f = files.get(u);
      if (query === 'is-active') lines.push(f?.active ?? 'inactive');
      else if (!f) return { exitCode: 1, stdout: lines.join('\n'), stderr: `Failed to get unit file state for ${u}: No such file or directory` };
      else lines.push(f.enabled);
    }
    const ok = query === 'is-active' ? lines.some((l) => l === 'active') : lines.some((l) => l === 'enabled' || l === 'static');
    return { exitCode: ok ? 0 : query === 'is-active' ? 3 : 1, stdout: lines.join('\n'), stderr: '' };
  };
  return {
    name: 'h',
    stat: async () => new Map(),
    probe: async (argv) => {
      const script = argv[2] ?? '';
      log.push(script);
      // The batch runner: "run <i> systemctl <query> <units...>" lines (plain words here).
      const out = script
        .split('\n')
        .slice(1)
        .map((line) => {
          const [, i, cmd, ...args] = line.split(' ');
          const r = cmd === 'systemctl' ? systemctl(args) : { exitCode: 127, stdout: '', stderr: '' };
          return `@@ ${i} ${r.exitCode}\n${r.stdout}\n@@.\n`;
        })
        .join('');
      return { exitCode: 0, stdout: out, stderr: '' };
    },
  };
}

const serviceSteps = (units: readonly string[]): Step[] =>
  units.flatMap((unit): Step[] => [
    { kind: 'systemd', unit, action: 'enable' },
    { kind: 'systemd', unit, action: 'restart', when: 'changed', rolling: true },
    { kind: 'systemd', unit, action: 'start' },
  ]);

describe('runPreProbes with many units', () => {
  it('a re-apply: one is-enabled and one is-active for all units, one round trip, per-step answers as before', async () => {
    const log: string[] = [];
    const host = systemdHost(
      new Map([
        ['containerd.service', { enabled: 'enabled', active: 'active' }],
        ['kubelet.service', { enabled: 'masked', active: 'failed' }],
        ['kube-proxy.service', { enabled: 'disabled', active: 'activating' }],
      ]),
      log,
    );
    const steps = serviceSteps(['containerd.service', 'kubelet.service', 'kube-proxy.service']);
    const answers = (await runPreProbes(host, steps, new AbortController().signal)).steps;
    expect(log).toHaveLength(1);
    expect(log[0]?.match(/systemctl/g)).toHaveLength(2);
    expect(answers.get(0)).toEqual({ exitCode: 0, stdout: 'enabled' });
    expect(answers.get(1)).toEqual({ exitCode: 0, stdout: 'active' });
    expect(answers.get(2)).toEqual({ exitCode: 0, stdout: 'active' });
    expect(answers.get(3)).toEqual({ exitCode: 1, stdout: 'masked' });
    expect(answers.get(5)).toEqual({ exitCode: 3, stdout: 'failed' });
    expect(answers.get(6)).toEqual({ exitCode: 1, stdout: 'disabled' });
    expect(answers.get(8)).toEqual({ exitCode: 3, stdout: 'activating' });
  });

  it('a first install (a unit file missing): the units are asked one by one, and each gets its own answer', async () => {
    const log: string[] = [];
    const host = systemdHost(new Map([['containerd.service', { enabled: 'enabled', active: 'active' }], ['kube-proxy.service', { enabled: 'disabled', active: 'inactive' }]]), log);
    const steps = serviceSteps(['containerd.service', 'kubelet.service', 'kube-proxy.service']);
    const answers = (await runPreProbes(host, steps, new AbortController().signal)).steps;
    expect(log).toHaveLength(2);
    expect(answers.get(0)).toEqual({ exitCode: 0, stdout: 'enabled' });
    // kubelet.service has no file: is-enabled prints nothing (exit 1); is-active says inactive.
    expect(answers.get(3)).toEqual({ exitCode: 1, stdout: '' });
    expect(answers.get(5)).toEqual({ exitCode: 3, stdout: 'inactive' });
    // kube-proxy.service comes after the missing unit: answered by its own command, not misattributed.
    expect(answers.get(6)).toEqual({ exitCode: 1, stdout: 'disabled' });
  });
});
