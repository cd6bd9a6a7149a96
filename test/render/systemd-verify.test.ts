/**
 * `systemd-analyze verify` on every rendered unit, per host, in a scratch root that holds the
 * distribution's own units (targets) and a stub executable at every Exec*= path, as the host will
 * have after install-binaries. Any warning (unknown key, bad value, missing executable) fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PlannedHost } from '../../src/plan/types.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { planFor } from './support/render.js';

const SYSTEM_UNITS = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'multi-user.target')));
const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const reason = !analyze ? 'systemd-analyze is not installed' : !SYSTEM_UNITS ? 'no distribution units (multi-user.target) found' : undefined;
if (reason) console.warn(`skipping systemd-analyze verify tests: ${reason}`);

const scratch = mkdtempSync(join(tmpdir(), 'kubesmith-verify-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Executables named by Exec*= lines ("-" and other prefixes stripped). */
function executables(unit: string): string[] {
  return [...unit.matchAll(/^Exec\w*=([-@:+!]*)(\S+)/gm)].filter((m) => !m[1]?.includes('-')).map((m) => m[2]!);
}

/** Writes the host's units and stub executables into a fresh root; returns the root and unit paths. */
function stageHost(host: PlannedHost, opts: { skipStub?: string } = {}): { root: string; units: string[] } {
  const root = join(scratch, `${host.host.name}-${Math.random().toString(36).slice(2)}`);
  cpSync(SYSTEM_UNITS!, join(root, 'usr/lib/systemd/system'), { recursive: true });
  const units: string[] = [];
  for (const a of host.artifacts.filter((x) => x.kind === 'unit')) {
    const text = a.content as string;
    mkdirSync(dirname(join(root, a.path)), { recursive: true });
    writeFileSync(join(root, a.path), text);
    units.push(a.path);
    for (const exe of executables(text)) {
      if (exe === opts.skipStub) continue;
      mkdirSync(dirname(join(root, exe)), { recursive: true });
      writeFileSync(join(root, exe), '#!/bin/sh\nexit 0\n');
      chmodSync(join(root, exe), 0o755);
    }
  }
  return { root, units };
}

function verify(root: string, units: string[]): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...units], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

let cached: Promise<PlannedHost[]> | undefined;
function allHosts(): Promise<PlannedHost[]> {
  cached ??= buildHosts();
  return cached;
}

async function buildHosts(): Promise<PlannedHost[]> {
  const base = exampleInventory();
  const vip = exampleInventory({
    cluster: { ...base.cluster, kubernetesVersion: 'v1.26.15', apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
    hosts: [aHost('master01', '192.168.80.10', ['control-plane', 'etcd']), aHost('node01', '192.168.80.11', ['worker']), aHost('lb01', '192.168.80.13', ['loadbalancer'])],
  });
  return [...(await planFor(base)).hosts, ...(await planFor(vip)).hosts];
}

describe.skipIf(reason !== undefined)('systemd-analyze verify', () => {
  it('passes, without a single warning, on every rendered unit of every host', async () => {
    const hosts = await allHosts();
    const names = new Set<string>();
    for (const host of hosts) {
      const { root, units } = stageHost(host);
      units.forEach((u) => names.add(u.split('/').pop()!));
      const r = verify(root, units);
      expect(r, `${host.host.name}: ${units.join(' ')}`).toEqual({ status: 0, output: '' });
    }
    expect([...names].sort()).toEqual([
      'containerd.service', 'etcd.service', 'kube-apiserver.service', 'kube-controller-manager.service', 'kube-proxy.service',
      'kube-scheduler.service', 'kubelet.service', 'kubesmith-apiserver-lb.service', 'kubesmith-apiserver-proxy.service', 'kubesmith-keepalived.service',
    ]);
  });

  it('fails when an executable is missing (the check can fail)', async () => {
    const host = (await allHosts())[0]!;
    const { root, units } = stageHost(host, { skipStub: '/opt/kubernetes/bin/kube-apiserver' });
    const r = verify(root, units);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('/opt/kubernetes/bin/kube-apiserver');
  });

  it('reports a malformed unit (unknown key)', async () => {
    const host = (await allHosts())[0]!;
    const { root, units } = stageHost(host);
    const unit = join(root, units[0]!);
    writeFileSync(unit, `${execFileSync('cat', [unit], { encoding: 'utf8' })}Bogus=1\n`);
    expect(verify(root, units).output).toMatch(/Unknown key 'Bogus'/);
  });
});
