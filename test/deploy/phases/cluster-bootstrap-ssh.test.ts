/**
 * The production API access of `kubesmith apply` (src/cli/apply-api.ts): the run's own SSH
 * connection (a real OpenSSH server on 127.0.0.1) forwards a direct-tcpip channel to the host's
 * own apiserver, TLS is verified for that address against the cluster CA, and the plan's admin and
 * super-admin certificates authenticate. The example inventory has two control planes, so ha:
 * local-proxy: the apiserver binds the host's internalIP (127.0.0.2 here) and 127.0.0.1:<port> is
 * the local nginx, which does not exist yet when cluster-bootstrap first runs. The apiserver is the fake (there is no kube-apiserver
 * binary on this machine or in CI); the SSH connection, forwarding and TLS are real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyApi } from '../../../src/cli/apply-api.js';
import { clusterBootstrapPhase } from '../../../src/deploy/phases/cluster-bootstrap.js';
import { runPhases } from '../../../src/deploy/runner.js';
import { connect } from '../../../src/deploy/phases/connect.js';
import { Ssh2Connection } from '../../../src/deploy/ssh/ssh2-connection.js';
import type { DeployEvent } from '../../../src/deploy/events.js';
import type { InventoryHost } from '../../../src/inventory/types.js';
import type { ClusterPlan, PlannedHost } from '../../../src/plan/types.js';
import { unitBinary } from '../../../src/deploy/phases/_api-access.js';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { makeTestPki } from '../../kube/support/test-pki.js';
import { startLocalSshd, unavailableReason, type LocalSshd } from '../../kube/support/local-sshd.js';
import { realPlan } from './_real-plan.js';
import { clockBefore, printed, superAdminPair } from './_api-fixture.js';

const skip = unavailableReason();
if (skip) console.warn(`skipping apply API-over-SSH test: ${skip}`);

describe.skipIf(skip !== undefined)('cluster-bootstrap over the run\'s SSH connection (local sshd)', () => {
  let sshd: LocalSshd;
  let api: FakeApiServer;
  let plan: ClusterPlan;

  beforeAll(async () => {
    const pki = makeTestPki();
    const base = await realPlan();
    [sshd, api] = await Promise.all([startLocalSshd(), startFakeApiServer(pki, { host: '127.0.0.2' })]);
    const sup = superAdminPair(pki);
    const certs = new Map(base.pki.certs);
    certs.set('kubernetes-ca', { id: 'kubernetes-ca', certPem: pki.ca.certPem });
    certs.set('admin', { id: 'admin', certPem: pki.admin.certPem, keyPem: pki.admin.keyPem });
    certs.set('super-admin', { id: 'super-admin', certPem: sup.certPem, keyPem: sup.keyPem });
    const ssh = { ...base.inventory.ssh, user: 'root', port: sshd.port, identityFile: sshd.identityFile, agent: false, knownHostsFile: sshd.knownHostsFile, sudo: false };
    const local = (h: InventoryHost): InventoryHost => ({ ...h, address: '127.0.0.1', internalIP: '127.0.0.2', ssh });
    const inventory = { ...base.inventory, cluster: { ...base.inventory.cluster, apiServer: { ...base.inventory.cluster.apiServer, port: api.port } }, hosts: base.inventory.hosts.map(local) };
    plan = { ...base, inventory, pki: { ...base.pki, certs }, hosts: base.hosts.filter((h) => h.host.name === 'master01').map((h) => ({ ...h, host: local(h.host) })) };
  });
  afterAll(async () => {
    await Promise.all([sshd?.stop(), api?.close()]);
  });

  it('applies the objects through a forwarded channel of the recorded connection, as admin and super-admin', async () => {
    const apply = applyApi({});
    const opened: string[] = [];
    const transport = apply.record({
      connect: async (host, signal) => {
        opened.push(host.name);
        return Ssh2Connection.connect(host, { signal, env: {} });
      },
      lock: async () => ({ release: async () => undefined }),
    });
    const events: DeployEvent[] = [];
    const clock = clockBefore(plan.bootstrapToken.expires);
    // The fake answers `--version` for nothing, so the local host's "kube-apiserver" would count as a
    // stub: the runnable fact is given as the control-plane phase would have gathered it.
    const phase = clusterBootstrapPhase(apply.access);
    const withReal = { ...phase, gather: async () => ({ runnable: new Map([[unitBinary(plan.hosts[0] as PlannedHost, 'control-plane', 'kube-apiserver.service') ?? '', 'Kubernetes v1.31.2']]) }) };
    await runPhases({ plan, phases: [connect, withReal], dryRun: false, transport, emit: (e) => events.push(e), signal: new AbortController().signal, clock, verifyTimeoutMs: 20_000 });
    expect(opened).toEqual(['master01']); // no second SSH connection for the API
    const users = new Set(api.requests.filter((r) => r.method !== 'GET').map((r) => r.user));
    expect([...users].sort()).toEqual(['kubernetes-admin', 'kubernetes-super-admin']);
    expect(printed(events).join('\n')).toMatch(/master01: cluster objects via master01's apiserver: \d+ created/);
  });
});
