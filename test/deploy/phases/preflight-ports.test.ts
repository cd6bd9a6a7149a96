/**
 * Preflight's port check on a re-apply of a control-plane host with ha: local-proxy: kube-apiserver
 * listens on internalIP:6443 and kubesmith's own nginx on 127.0.0.1:6443 (endpoints.ts). `ss` lists
 * both; gather-facts keeps one name per port, in ss's order. Found by the two-control-plane e2e: the
 * no-change re-apply failed "port 6443 is in use by nginx" on cp1 (cp2's ss happened to list the
 * apiserver last). Without local-proxy an nginx on the apiserver's port is still someone else's.
 */
import { describe, expect, it } from 'vitest';
import { parseFacts } from '../../../src/deploy/phases/_facts.js';
import { preflightProblems } from '../../../src/deploy/phases/preflight.js';
import type { ApiHaMode } from '../../../src/inventory/types.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

/** ss -Hltnp as a re-applied local-proxy control plane prints it (apiserver first, proxy last). */
const SS = [
  '@listen',
  'LISTEN 0      4096   192.168.80.10:6443      0.0.0.0:*    users:(("kube-apiserver",pid=81,fd=7))',
  'LISTEN 0      511        127.0.0.1:6443      0.0.0.0:*    users:(("nginx",pid=99,fd=6))',
  '',
].join('\n');

async function portProblems(ha: ApiHaMode): Promise<string[]> {
  const inv = exampleInventory();
  const plan = await realPlan({ ...inv, cluster: { ...inv.cluster, apiServer: { ...inv.cluster.apiServer, ha } } });
  const host = plan.hosts.find((h) => h.host.name === 'master01');
  if (!host) throw new Error('no master01');
  const facts = parseFacts(SS, 0);
  expect(facts.listeners?.get(6443)).toBe('nginx');
  return preflightProblems({ plan, host, facts, activeHosts: [] }).filter((p) => p.message.startsWith('port')).map((p) => `${p.message} (${p.hint ?? ''})`);
}

describe('preflight ports with the local API proxy', () => {
  it('accepts our nginx on the apiserver port of a control-plane host with ha: local-proxy', async () => {
    expect(await portProblems('local-proxy')).toEqual([]);
  });

  it('still refuses nginx there when no local proxy is deployed', async () => {
    expect(await portProblems('none')).toEqual(['port 6443 is in use by nginx (stop that service, or move it off port 6443 (kube-apiserver needs it))']);
  });
});
