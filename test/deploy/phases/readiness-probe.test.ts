/**
 * The kube-apiserver readiness probe (src/deploy/phases/_readiness.ts) asks the host's OWN apiserver,
 * at its internalIP as the controller-manager does: with ha: local-proxy the apiserver binds only
 * that address and 127.0.0.1:<port> belongs to the local nginx, which the nodes phase installs later
 * (the control-plane phase's verify then failed with "connection refused" on a real two-control-plane
 * cluster) and which would answer for any apiserver once it runs (a restarted apiserver would pass
 * for ready while another one answered).
 */
import { describe, expect, it } from 'vitest';
import { readinessLabel, readinessProbe } from '../../../src/deploy/phases/_readiness.js';
import type { ApiHaMode } from '../../../src/inventory/types.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

async function apiserverProbe(ha: ApiHaMode, host: string): Promise<readonly string[] | undefined> {
  const inv = exampleInventory();
  const plan = await realPlan({ ...inv, cluster: { ...inv.cluster, apiServer: { ...inv.cluster.apiServer, ha, ...(ha === 'vip' ? { vip: '192.168.80.88' } : {}) } } });
  const planned = plan.hosts.find((h) => h.host.name === host);
  if (!planned) throw new Error(`no planned host ${host}`);
  return readinessProbe('kube-apiserver.service', planned, 6443);
}

describe('kube-apiserver readiness probe', () => {
  it('targets the host\'s own apiserver at its internalIP with ha: local-proxy', async () => {
    const probe = await apiserverProbe('local-proxy', 'master02');
    // curl with the apiserver's own client pair and the CA beside it (no kubectl process: ~0.2 s of CPU each).
    expect(probe).toEqual([
      'curl', '-fsS', '-m', '10',
      '--cacert', '/opt/kubernetes/ssl/ca.pem',
      '--cert', '/opt/kubernetes/ssl/apiserver-kubelet-client.pem',
      '--key', '/opt/kubernetes/ssl/apiserver-kubelet-client-key.pem',
      'https://192.168.80.20:6443/readyz',
    ]);
  });

  it('uses the same address with ha: vip and none (the apiserver binds every address there)', async () => {
    for (const ha of ['vip', 'none'] as const) expect((await apiserverProbe(ha, 'master01'))?.at(-1), ha).toBe('https://192.168.80.10:6443/readyz');
  });

  it('names the check in the ready note as before', () => {
    expect(readinessLabel('kube-apiserver.service', ['curl', 'https://192.168.80.10:6443/readyz'])).toBe('/readyz');
    expect(readinessLabel('containerd.service', ['/usr/local/bin/ctr', '--address', '/run/containerd/containerd.sock', 'version'])).toBe('ctr version');
    expect(readinessLabel('kubelet.service', ['curl', '-fs', 'http://127.0.0.1:10248/healthz'])).toBe('http://127.0.0.1:10248/healthz');
  });
});
