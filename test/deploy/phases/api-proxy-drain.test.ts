/**
 * The API proxy drain (_api-proxy-drain.ts): which hosts get a step, and what its script does to a
 * real rendered nginx config with this machine's sh and both awks a host may have (mawk, busybox).
 * `systemctl` is a stand-in answering MainPID=0 (nginx not running: only the file changes); the
 * reload and the wait for nginx's new workers are proven on real hosts with real nginx
 * (test/hosts/api-proxy-drain.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiProxyDrainSteps, PROXY_DRAIN_SH } from '../../../src/deploy/phases/_api-proxy-drain.js';
import type { Step } from '../../../src/deploy/phase.js';
import { describeStep } from '../../../src/deploy/steps.js';
import { aHost, exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'ks-drain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A PATH whose awk is `awk` (mawk or busybox) and whose systemctl says the unit is not running. */
function pathWith(awk: 'mawk' | 'busybox'): string {
  const bin = join(tmp, `bin-${awk}`);
  if (!existsSync(bin)) {
    mkdirSync(bin);
    if (awk === 'busybox') writeFileSync(join(bin, 'awk'), '#!/bin/sh\nexec busybox awk "$@"\n');
    else symlinkSync('/usr/bin/mawk', join(bin, 'awk'));
    writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\necho 0\n');
    chmodSync(join(bin, 'awk'), 0o755);
    chmodSync(join(bin, 'systemctl'), 0o755);
  }
  return `${bin}:${process.env.PATH ?? ''}`;
}

/** Runs the script on `conf` the way the step would on the host. */
function drain(awk: 'mawk' | 'busybox', conf: string, rendered: string, words: readonly string[]) {
  const r = spawnSync('sh', ['-c', PROXY_DRAIN_SH, 'proxy-drain', conf, 'kubesmith-apiserver-proxy.service', sha(rendered), rendered, ...words], { env: { ...process.env, PATH: pathWith(awk) }, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

const stepsOf = (m: ReadonlyMap<string, readonly Step[]>, host: string): readonly Step[] => m.get(host) ?? [];
const argvOf = (s: Step | undefined): readonly string[] => (s?.kind === 'exec' ? s.argv : []);

describe('apiProxyDrainSteps', () => {
  it('gives every host with a local proxy one step, naming the drained apiserver by its upstream word; none with ha: none', async () => {
    const plan = await realPlan();
    const steps = apiProxyDrainSteps(plan, ['master02']);
    expect([...steps.keys()].sort()).toEqual(['master01', 'master02', 'node01', 'node02']);
    const step = stepsOf(steps, 'node01')[0];
    expect(argvOf(step).slice(4, 6)).toEqual(['/opt/kubernetes/cfg/apiserver-proxy.conf', 'kubesmith-apiserver-proxy.service']);
    expect(argvOf(step).slice(8)).toEqual(['192.168.80.20:6443']);
    expect(step?.kind === 'exec' && step.tolerate).toMatch(/keeps sending to master02/);
    // Output names the step, never the script.
    expect(describeStep(step as Step)).toBe('mark master02 down in /opt/kubernetes/cfg/apiserver-proxy.conf, reload kubesmith-apiserver-proxy.service');
    const back = stepsOf(apiProxyDrainSteps(plan, []), 'node01')[0];
    expect(argvOf(back).slice(8)).toEqual([]);
    expect(back?.kind === 'exec' && back.tolerate).toBeUndefined(); // not put back must stop the rollout
    const single = await realPlan(exampleInventory({ hosts: [aHost('cp', '10.1.0.1', ['control-plane', 'etcd']), aHost('w', '10.1.0.2', ['worker'])], cluster: { ...exampleInventory().cluster, apiServer: { ...exampleInventory().cluster.apiServer, ha: 'none' } } }));
    expect(apiProxyDrainSteps(single, ['cp']).size).toBe(0);
  });

  it('with ha: vip, drains the load balancers\' nginx', async () => {
    const inv = exampleInventory();
    const plan = await realPlan({
      ...inv,
      cluster: { ...inv.cluster, apiServer: { ...inv.cluster.apiServer, ha: 'vip', vip: '192.168.80.100' } },
      hosts: [...inv.hosts, aHost('lb1', '192.168.80.31', ['loadbalancer']), aHost('lb2', '192.168.80.32', ['loadbalancer'])],
    });
    const steps = apiProxyDrainSteps(plan, ['master01']);
    expect([...steps.keys()].sort()).toEqual(['lb1', 'lb2']);
    expect(argvOf(stepsOf(steps, 'lb1')[0]).slice(5, 6)).toEqual(['kubesmith-apiserver-lb.service']);
  });
});

describe.each(['mawk', 'busybox'] as const)('PROXY_DRAIN_SH with %s', (awk) => {
  it('marks exactly the named apiservers down, moves the mark, and puts the rendered file back byte for byte', async () => {
    const plan = await realPlan();
    const art = plan.hosts.find((h) => h.host.name === 'node01')?.artifacts.find((a) => a.path.endsWith('/apiserver-proxy.conf'));
    const rendered = String(art?.content);
    const conf = join(tmp, `${awk}-proxy.conf`);
    writeFileSync(conf, rendered);
    expect(drain(awk, conf, rendered, ['192.168.80.20:6443'])).toEqual({ code: 0, stderr: '' });
    const one = readFileSync(conf, 'utf8');
    expect(one).toContain('server 192.168.80.20:6443 down max_fails=3 fail_timeout=30s;');
    expect(one).toContain('server 192.168.80.10:6443 max_fails=3 fail_timeout=30s;');
    expect(one.replace(' down ', ' ')).toBe(rendered);
    expect(drain(awk, conf, rendered, ['192.168.80.10:6443']).code).toBe(0);
    const other = readFileSync(conf, 'utf8');
    expect(other).toContain('server 192.168.80.10:6443 down max_fails');
    expect(other).toContain('server 192.168.80.20:6443 max_fails');
    expect(drain(awk, conf, rendered, []).code).toBe(0);
    expect(readFileSync(conf, 'utf8')).toBe(rendered);
    expect(existsSync(`${conf}.kubesmith-drain`)).toBe(false);
  });

  it('brings an earlier kubesmith render (a control plane added since) up to date with the marks; a file without kubesmith\'s header stays as it is', async () => {
    const before = await realPlan(exampleInventory({ hosts: exampleInventory().hosts.filter((h) => h.name !== 'master02') }));
    const after = await realPlan();
    const proxyConf = (plan: typeof after): string => String(plan.hosts.find((h) => h.host.name === 'node01')?.artifacts.find((a) => a.path.endsWith('/apiserver-proxy.conf'))?.content);
    const [old, rendered] = [proxyConf(before), proxyConf(after)];
    expect(old).toMatch(/^# Rendered by kubesmith\./);
    expect(old).not.toContain('192.168.80.20');
    const conf = join(tmp, `${awk}-grown.conf`);
    writeFileSync(conf, old);
    // master01 restarts (its certificate gains master02's name): the proxy learns master02 and sends everything there.
    expect(drain(awk, conf, rendered, ['192.168.80.10:6443'])).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(conf, 'utf8')).toBe(rendered.replace('192.168.80.10:6443 max_fails', '192.168.80.10:6443 down max_fails'));
    expect(drain(awk, conf, rendered, []).code).toBe(0);
    expect(readFileSync(conf, 'utf8')).toBe(rendered);
    const foreign = old.replace(/^# Rendered by kubesmith\./, '# mine');
    writeFileSync(conf, foreign);
    expect(drain(awk, conf, rendered, ['192.168.80.10:6443']).code).toBe(3);
    expect(readFileSync(conf, 'utf8')).toBe(foreign);
  });

  it('leaves a file that is not the render alone (exit 3, named), and does nothing where there is no proxy yet', () => {
    const rendered = 'stream {\n  upstream kube_apiservers {\n    server [fd00::1]:6443 max_fails=3 fail_timeout=30s;\n    server [fd00::2]:6443 max_fails=3 fail_timeout=30s;\n  }\n}\n';
    const conf = join(tmp, `${awk}-v6.conf`);
    writeFileSync(conf, rendered);
    expect(drain(awk, conf, rendered, ['[fd00::2]:6443']).code).toBe(0);
    expect(readFileSync(conf, 'utf8')).toContain('server [fd00::2]:6443 down max_fails'); // brackets are not a pattern
    const edited = rendered.replace('fail_timeout=30s', 'fail_timeout=5s');
    writeFileSync(conf, edited);
    const r = drain(awk, conf, rendered, ['[fd00::1]:6443']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`${conf} is neither the config kubesmith renders .*nor one it rendered before \\(no kubesmith header\\): left alone`));
    expect(readFileSync(conf, 'utf8')).toBe(edited);
    const absent = join(tmp, `${awk}-absent.conf`);
    expect(drain(awk, absent, rendered, ['[fd00::1]:6443']).code).toBe(0);
    expect(existsSync(absent)).toBe(false);
  });
});

it('the script is POSIX sh (dash parses it)', () => {
  expect(() => execFileSync('dash', ['-n', '-c', PROXY_DRAIN_SH])).not.toThrow();
});
