import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { executeSteps, StepFailed } from '../../src/deploy/executor.js';
import { dryRunSteps, newHostRunState, pendingMarker, pendingReloadMarker } from '../../src/deploy/dry-run.js';
import type { Step } from '../../src/deploy/phase.js';
import type { DeployEvent } from '../../src/deploy/events.js';
import { RemoteCommandError } from '../../src/shared/errors.js';
import { FakeHost } from '../support/fake-host.js';
import { anArtifact, tickingClock } from './_plan.js';

const unit = anArtifact('h1', '/etc/systemd/system/etcd.service', '[Service]\nExecStart=/opt/etcd/bin/etcd\n', { restarts: ['etcd.service'] });
const conf = anArtifact('h1', '/opt/etcd/cfg/etcd.conf', 'name=h1\n', { restarts: ['etcd.service'] });
const other = anArtifact('h1', '/opt/etcd/cfg/other.conf', 'x\n', { restarts: ['other.service'] });
const steps = (a = [unit, conf, other]): Step[] => [
  ...a.map((artifact) => ({ kind: 'put', artifact }) as const),
  { kind: 'systemd', unit: '', action: 'daemon-reload', when: 'changed' },
  { kind: 'systemd', unit: 'etcd.service', action: 'enable' },
  { kind: 'systemd', unit: 'etcd.service', action: 'restart', when: 'changed', noBlock: true },
  { kind: 'systemd', unit: 'etcd.service', action: 'start', noBlock: true },
  { kind: 'systemd', unit: 'other.service', action: 'restart', when: 'changed' },
];

async function apply(host: FakeHost, s: readonly Step[], signal = new AbortController().signal): Promise<{ events: DeployEvent[]; state: ReturnType<typeof newHostRunState> }> {
  const events: DeployEvent[] = [];
  const state = newHostRunState();
  await executeSteps(host, s, state, { phase: 'etcd', emit: (e) => events.push(e), signal, uploads: new PQueue({ concurrency: 1 }), clock: tickingClock() });
  return { events, state };
}

describe('executeSteps', () => {
  it('writes new files, reloads systemd, enables and restarts; a second run changes and restarts nothing', async () => {
    const host = new FakeHost('h1');
    const first = await apply(host, steps());
    expect(first.state.changed).toBe(3);
    expect(first.state.restarted.sort()).toEqual(['etcd.service', 'other.service']);
    expect(host.text(conf.path)).toBe('name=h1\n');
    expect(host.units.get('etcd.service')).toEqual({ enabled: true, active: true });
    expect(host.files.has(pendingMarker('etcd.service'))).toBe(false);
    expect(host.log).toContain('exec systemctl restart --no-block etcd.service');

    host.log.length = 0;
    const second = await apply(host, steps());
    expect(second.state).toMatchObject({ changed: 0, restarted: [] });
    expect(host.mutations()).toEqual([]);
    expect(second.events.filter((e) => e.type === 'step').every((e) => e.type === 'step' && e.status === 'unchanged')).toBe(true);
  });

  it('restarts only the units whose inputs changed', async () => {
    const host = new FakeHost('h1');
    await apply(host, steps());
    const changedOther = { ...other, content: 'y\n', sha256: anArtifact('h1', other.path, 'y\n').sha256 };
    const { state } = await apply(host, steps([unit, conf, changedOther]));
    expect(state.restarted).toEqual(['other.service']);
    expect(host.log.filter((l) => l.includes('daemon-reload'))).toHaveLength(1); // only the first run's unit change
  });

  it('fixes a mode-only difference with chmod instead of re-uploading', async () => {
    const host = new FakeHost('h1').seed(conf.path, 'name=h1\n', 0o666);
    host.log.length = 0;
    await apply(host, [{ kind: 'put', artifact: conf }]);
    expect(host.mutations().filter((l) => l.startsWith('write'))).toEqual([]);
    expect(host.files.get(conf.path)?.mode).toBe(0o644);
  });

  it('restarts a unit whose file changed in an interrupted earlier run (pending marker on the host)', async () => {
    const host = new FakeHost('h1').seed(conf.path, 'name=h1\n').seed(pendingMarker('etcd.service'), '');
    host.units.set('etcd.service', { enabled: true, active: true });
    const { state } = await apply(host, [{ kind: 'put', artifact: conf }, { kind: 'systemd', unit: 'etcd.service', action: 'restart', when: 'changed' }]);
    expect(state.restarted).toEqual(['etcd.service']);
    expect(host.files.has(pendingMarker('etcd.service'))).toBe(false);
  });

  describe('a file whose unit reloads it (Artifact.reloads: the nginx API proxies)', () => {
    const proxyUnit = anArtifact('h1', '/etc/systemd/system/proxy.service', '[Service]\nExecStart=/usr/sbin/nginx\n', { restarts: ['proxy.service'] });
    const proxyConf = (body: string) => anArtifact('h1', '/opt/kubernetes/cfg/proxy.conf', body, { restarts: [], reloads: ['proxy.service'] });
    const proxySteps = (c: ReturnType<typeof proxyConf>, u = proxyUnit): Step[] => [
      { kind: 'put', artifact: u },
      { kind: 'put', artifact: c },
      { kind: 'systemd', unit: '', action: 'daemon-reload', when: 'changed' },
      { kind: 'systemd', unit: 'proxy.service', action: 'restart', when: 'changed' },
      { kind: 'systemd', unit: 'proxy.service', action: 'start' },
    ];
    const dryRun = async (host: FakeHost, s: readonly Step[]): Promise<string[]> => {
      const events: DeployEvent[] = [];
      await dryRunSteps(host, s, newHostRunState(), { phase: 'nodes', emit: (e) => void events.push(e), signal: new AbortController().signal });
      return events.flatMap((e) => (e.type === 'step' && e.status === 'changed' && e.step.startsWith('restart') ? [`${e.step}: ${e.detail ?? ''}`] : []));
    };

    it('reloads when only that file changed (dry-run says so first), restarts when the unit file changed too, and a marker left by an interrupted run still reloads', async () => {
      const host = new FakeHost('h1');
      await apply(host, proxySteps(proxyConf('a\n')));
      expect(host.log.filter((l) => l.includes('systemctl'))).toContain('exec systemctl restart proxy.service'); // new unit file: a restart
      expect(await dryRun(host, proxySteps(proxyConf('b\n')))).toEqual(['restart proxy.service: would reload (if running)']);
      host.log.length = 0;
      const { state, events } = await apply(host, proxySteps(proxyConf('b\n')));
      expect(host.log.filter((l) => l.startsWith('exec systemctl') && !l.includes('is-'))).toEqual(['exec systemctl try-reload-or-restart proxy.service']);
      expect(state.restarted).toEqual([]);
      expect(events.some((e) => e.type === 'step' && e.step === 'restart proxy.service' && e.detail === 'reloaded')).toBe(true);
      expect(host.files.has(pendingReloadMarker('proxy.service'))).toBe(false);
      // Unit file and config change together: one restart, both markers gone.
      host.log.length = 0;
      await apply(host, proxySteps(proxyConf('c\n'), { ...proxyUnit, content: 'x\n', sha256: anArtifact('h1', proxyUnit.path, 'x\n').sha256 }));
      expect(host.log.filter((l) => l.startsWith('exec systemctl') && !l.includes('is-') && !l.includes('daemon-reload'))).toEqual(['exec systemctl restart proxy.service']);
      expect([pendingMarker('proxy.service'), pendingReloadMarker('proxy.service')].some((m) => host.files.has(m))).toBe(false);
      // The file was written, the run died before the reload: the next run reloads.
      host.seed(pendingReloadMarker('proxy.service'), '');
      host.log.length = 0;
      await apply(host, proxySteps(proxyConf('c\n'), { ...proxyUnit, content: 'x\n', sha256: anArtifact('h1', proxyUnit.path, 'x\n').sha256 }));
      expect(host.log.filter((l) => l.startsWith('exec systemctl') && !l.includes('is-'))).toEqual(['exec systemctl try-reload-or-restart proxy.service']);
      expect(host.files.has(pendingReloadMarker('proxy.service'))).toBe(false);
    });

    it('leaves the reload marker when the write fails', async () => {
      const host = new FakeHost('h1');
      host.failWritesTo = /proxy\.conf$/;
      await expect(apply(host, [{ kind: 'put', artifact: proxyConf('a\n') }])).rejects.toThrow(StepFailed);
      expect(host.files.has(pendingReloadMarker('proxy.service'))).toBe(true);
    });
  });

  it('leaves the marker when the write fails, so the restart is not lost', async () => {
    const host = new FakeHost('h1');
    host.failWritesTo = /etcd\.conf$/;
    await expect(apply(host, [{ kind: 'put', artifact: conf }])).rejects.toThrow(StepFailed);
    expect(host.files.has(conf.path)).toBe(false);
    expect(host.files.has(pendingMarker('etcd.service'))).toBe(true);
  });

  it('runs exec steps only when needed and tolerates expected failures as warnings', async () => {
    const host = new FakeHost('h1').on('swapon --show', { exitCode: 0, stdout: '', stderr: '' }).on('modprobe', { exitCode: 1, stdout: '', stderr: 'modprobe: FATAL: Module br_netfilter not found' });
    const { events } = await apply(host, [
      { kind: 'exec', argv: ['swapoff', '-a'], why: 'kubelet refuses swap', unless: ['swapon', '--show'] },
      { kind: 'exec', argv: ['sysctl', '--system'], why: 'load sysctl.d', ifChanged: ['/etc/sysctl.d/99-kubernetes.conf'] },
      { kind: 'exec', argv: ['modprobe', 'br_netfilter'], why: 'bridge netfilter', tolerate: 'inside a container the module comes from the host' },
    ]);
    const statuses = events.flatMap((e) => (e.type === 'step' ? [[e.step, e.status]] : []));
    expect(statuses).toEqual([
      ['run swapoff -a', 'unchanged'],
      ['run sysctl --system', 'skipped'],
      ['run modprobe br_netfilter', 'warning'],
    ]);
    expect(host.log).not.toContain('exec swapoff -a');
  });

  it('reports a failing command with host, command, exit code and stderr', async () => {
    const host = new FakeHost('h1').on('systemctl restart', { exitCode: 1, stdout: '', stderr: 'Job for etcd.service failed.\nSee journalctl -xeu etcd.service' });
    const err = await apply(host, steps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    const { error, step } = err as StepFailed;
    expect(step).toBe('restart etcd.service');
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect((error as RemoteCommandError).remoteExitCode).toBe(1);
    expect((error as RemoteCommandError).detail).toContain('Job for etcd.service failed.');
  });

  it('stops before the next step when the run is aborted', async () => {
    const host = new FakeHost('h1');
    const ac = new AbortController();
    ac.abort(new Error('SIGINT'));
    await expect(apply(host, steps(), ac.signal)).rejects.toThrow();
    expect(host.mutations()).toEqual([]);
  });
});
