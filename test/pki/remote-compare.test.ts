/**
 * `pki check --remote`'s judgement (src/pki/remote/compare.ts, rows.ts, targets.ts) on a real PKI
 * (production CA code) and the real plan: what each host answered (the simulated host prints what
 * the probe prints) against the state. Each status is produced by the situation it names.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build-plan.js';
import { certFingerprint, serializeIdentity } from '../../src/pki/identity.js';
import { needsAttention } from '../../src/pki/remote/compare.js';
import { bundleFromState, signerCas } from '../../src/pki/remote/state-bundle.js';
import { remoteTargets } from '../../src/pki/remote/targets.js';
import { serializeRotation, type CaRotation } from '../../src/pki/rotation-record.js';
import { loadTemplates } from '../../src/state/load-templates.js';
import { shippedCatalogue } from '../support/pki-fixture.js';
import { remoteRows, type HostAnswer } from '../../src/pki/remote/rows.js';
import { parseProbe, probeArgv } from '../../src/pki/remote/probe-script.js';
import type { RemoteCertRow } from '../../src/pki/remote/types.js';
import { fakeProbeOutput, type FakeCertHostState } from '../support/fake-cert-host.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { deployedHosts, kubeletCert, remoteFleet, type RemoteFleet } from '../support/remote-fleet.js';

const DAY = 86_400_000;
let fleet: RemoteFleet;
let older: RemoteFleet; // the same cluster issued 100 days earlier: what hosts hold before an apply

const casOf = (f: RemoteFleet): Map<string, string> => new Map(['kubernetes-ca', 'etcd-ca', 'front-proxy-ca'].map((id) => [id, f.state.pairs.get(id)?.certPem ?? '']));

/** Rows for the hosts in `hosts` as the state of `f` judges them, at `now`. */
function rowsFor(f: RemoteFleet, hosts: Map<string, FakeCertHostState>, now = new Date(f.issuedAt.getTime() + DAY), failed: Record<string, string> = {}): RemoteCertRow[] {
  const answers: HostAnswer[] = f.targets.map((t) => {
    if (failed[t.host]) return { host: t.host, error: failed[t.host] as string };
    const state = hosts.get(t.host);
    if (!state) throw new Error(`no simulated host ${t.host}`);
    return { host: t.host, observation: parseProbe(fakeProbeOutput(probeArgv(t.request), state), t.request) };
  });
  return remoteRows(f.targets, answers, casOf(f), now).rows;
}

const line = (r: RemoteCertRow): string => `${r.certificate} | ${r.location} | ${r.status}`;
const pick = (rows: readonly RemoteCertRow[], host: string, location: string): RemoteCertRow | undefined => rows.find((r) => r.host === host && r.location === location);

beforeAll(async () => {
  const inv = exampleInventory();
  fleet = await remoteFleet(inv);
  older = await remoteFleet(inv, new Date(fleet.issuedAt.getTime() - 100 * DAY));
});

describe('pki check --remote: comparing hosts with the state', () => {
  it('after apply and kubelet bootstrap: every place of master01 in sync, kubelet certificates rotated by kubernetes-ca', async () => {
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    const rows = rowsFor(fleet, hosts);
    // Files sorted by path (the plan's order), then the kubelet's own, then the endpoints.
    expect(rows.filter((r) => r.host === 'master01').map(line)).toEqual([
      'etcd-ca | /opt/etcd/ssl/ca.pem | in sync',
      'etcd-healthcheck-client | /opt/etcd/ssl/healthcheck-client.pem | in sync',
      'etcd-peer | /opt/etcd/ssl/peer.pem | in sync',
      'etcd-server | /opt/etcd/ssl/server.pem | in sync',
      'kubernetes-ca | /opt/kubernetes/cfg/bootstrap.kubeconfig [ca] | in sync',
      'kubernetes-ca | /opt/kubernetes/cfg/kube-controller-manager.kubeconfig [ca] | in sync',
      'kube-controller-manager | /opt/kubernetes/cfg/kube-controller-manager.kubeconfig [client] | in sync',
      'kubernetes-ca | /opt/kubernetes/cfg/kube-proxy.kubeconfig [ca] | in sync',
      'kube-proxy | /opt/kubernetes/cfg/kube-proxy.kubeconfig [client] | in sync',
      'kubernetes-ca | /opt/kubernetes/cfg/kube-scheduler.kubeconfig [ca] | in sync',
      'kube-scheduler | /opt/kubernetes/cfg/kube-scheduler.kubeconfig [client] | in sync',
      'apiserver-etcd-client | /opt/kubernetes/ssl/apiserver-etcd-client.pem | in sync',
      'apiserver-kubelet-client | /opt/kubernetes/ssl/apiserver-kubelet-client.pem | in sync',
      'apiserver | /opt/kubernetes/ssl/apiserver.pem | in sync',
      'kubernetes-ca | /opt/kubernetes/ssl/ca.pem | in sync',
      'etcd-ca | /opt/kubernetes/ssl/etcd-ca.pem | in sync',
      'front-proxy-ca | /opt/kubernetes/ssl/front-proxy-ca.pem | in sync',
      'front-proxy-client | /opt/kubernetes/ssl/front-proxy-client.pem | in sync',
      'kubelet-client | /var/lib/kubelet/pki/kubelet-client-current.pem | kubelet-rotated',
      'kubelet-serving | /var/lib/kubelet/pki/kubelet-server-current.pem | kubelet-rotated',
      'etcd-server | 192.168.80.10:2379 | in sync',
      'etcd-peer | 192.168.80.10:2380 | in sync',
      'apiserver | 192.168.80.10:6443 | in sync',
      'kubelet-serving | 192.168.80.10:10250 | kubelet-rotated',
    ]);
    // A worker without etcd has the node files only; no apiserver endpoint.
    expect(rows.filter((r) => r.host === 'master02' && r.source === 'served').map((r) => r.location)).toEqual(['192.168.80.20:6443', '192.168.80.20:10250']);
    const apiserver = pick(rows, 'master01', '/opt/kubernetes/ssl/apiserver.pem');
    expect(apiserver?.signer).toBe('kubernetes-ca');
    expect(pick(rows, 'master01', '/opt/etcd/ssl/server.pem')?.signer).toBe('etcd-ca');
    expect(pick(rows, 'master01', '/opt/kubernetes/ssl/ca.pem')?.signer).toBe('self-signed');
    expect(apiserver?.expires?.getTime()).toBeGreaterThan(fleet.issuedAt.getTime() + 360 * DAY);
    expect(rows.filter((r) => needsAttention(r))).toEqual([]);
  });

  it('after pki renew without apply: the hosts still hold the old certificates, "differs from state"', async () => {
    const hosts = await deployedHosts(older, (h, k) => kubeletCert(older, h, k));
    const rows = rowsFor(fleet, hosts);
    const server = pick(rows, 'node01', '/opt/etcd/ssl/server.pem');
    expect(server?.status).toBe('differs from state');
    expect(server?.detail).toMatch(/^deployed notAfter .*, state notAfter .*; same key pair; `kubesmith apply` installs the state's$/);
    expect(pick(rows, 'node01', '192.168.80.11:2379')?.status).toBe('differs from state');
    // Even the CA files differ (issued 100 days earlier, same key pair): every compared place is flagged.
    expect(pick(rows, 'node01', '/opt/etcd/ssl/ca.pem')).toMatchObject({ status: 'differs from state', detail: expect.stringContaining('same key pair') });
    // The kubelet's own certificates are judged by their signer: the old CA had the same name and
    // key, so its signature verifies with the state's CA, as it would for the kubelet's clients.
    expect(pick(rows, 'node01', '/var/lib/kubelet/pki/kubelet-client-current.pem')?.status).toBe('kubelet-rotated');
    expect(rows.every((r) => r.status !== 'in sync')).toBe(true);
    const kubeletOwn = (r: RemoteCertRow): boolean => r.certificate.startsWith('kubelet-');
    expect(rows.filter((r) => needsAttention(r)).length).toBe(rows.filter((r) => !kubeletOwn(r)).length);
  });

  it('a renewed file whose server was not restarted: "served != on disk"; an endpoint down: "not serving"; no openssl: "not checked"', async () => {
    const hosts = await deployedHosts(fleet);
    const m1 = hosts.get('master01') as FakeCertHostState;
    const oldServer = older.state.pairs.get('etcd-server@master01')?.certPem as string;
    m1.tls.set('192.168.80.10:2379', oldServer);
    m1.tls.set('192.168.80.10:6443', { fail: 'connect:errno=111 (Connection refused)' });
    (hosts.get('node02') as FakeCertHostState).noOpenssl = true;
    const rows = rowsFor(fleet, hosts);
    expect(pick(rows, 'master01', '192.168.80.10:2379')).toMatchObject({ status: 'served != on disk', detail: expect.stringContaining('/opt/etcd/ssl/server.pem holds another certificate') });
    expect(pick(rows, 'master01', '/opt/etcd/ssl/server.pem')?.status).toBe('in sync');
    expect(pick(rows, 'master01', '192.168.80.10:6443')).toMatchObject({ status: 'not serving', detail: 'connect:errno=111 (Connection refused)' });
    expect(pick(rows, 'node02', '192.168.80.12:2379')).toMatchObject({ status: 'not checked', detail: 'openssl is not installed on the host' });
    expect(needsAttention(pick(rows, 'master01', '192.168.80.10:2379') as RemoteCertRow)).toBe(true);
    expect(needsAttention(pick(rows, 'master01', '192.168.80.10:6443') as RemoteCertRow)).toBe(false);
    // Before the kubelet bootstrapped: nothing under its cert dir, nothing on 10250.
    expect(pick(rows, 'master01', '/var/lib/kubelet/pki/kubelet-client-current.pem')).toMatchObject({ status: 'not issued' });
    expect(pick(rows, 'master01', '192.168.80.10:10250')).toMatchObject({ status: 'not serving' });
  });

  it('missing, emptied and foreign files, a kubeconfig without its client certificate, an unreachable host', async () => {
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k === 'client' ? 'client' : 'serving', k === 'client' ? 'etcd-ca' : 'kubernetes-ca'));
    const n1 = hosts.get('node01') as FakeCertHostState;
    n1.files.delete('/opt/etcd/ssl/peer.pem');
    n1.files.set('/opt/etcd/ssl/healthcheck-client.pem', 'not a certificate\n');
    n1.files.set('/opt/kubernetes/cfg/kube-proxy.kubeconfig', (n1.files.get('/opt/kubernetes/cfg/kube-proxy.kubeconfig') ?? '').replace(/client-certificate-data: .*\n/, ''));
    const rows = rowsFor(fleet, hosts, undefined, { master02: 'ssh: master02: cannot connect to 192.168.80.20:22: connect ETIMEDOUT' });
    expect(pick(rows, 'node01', '/opt/etcd/ssl/peer.pem')).toMatchObject({ status: 'not deployed', detail: '/opt/etcd/ssl/peer.pem does not exist' });
    expect(pick(rows, 'node01', '/opt/etcd/ssl/healthcheck-client.pem')).toMatchObject({ status: 'unreadable', detail: '/opt/etcd/ssl/healthcheck-client.pem: no complete PEM certificate in it' });
    expect(pick(rows, 'node01', '/opt/kubernetes/cfg/kube-proxy.kubeconfig [client]')).toMatchObject({ status: 'not deployed', detail: '/opt/kubernetes/cfg/kube-proxy.kubeconfig has no client-certificate-data' });
    expect(pick(rows, 'node01', '/opt/kubernetes/cfg/kube-proxy.kubeconfig [ca]')?.status).toBe('in sync');
    expect(pick(rows, 'node01', '/var/lib/kubelet/pki/kubelet-client-current.pem')).toMatchObject({ status: 'wrong signer', signer: 'etcd-ca' });
    expect(pick(rows, 'node01', '/var/lib/kubelet/pki/kubelet-server-current.pem')?.status).toBe('kubelet-rotated');
    expect(rows.filter((r) => r.host === 'master02')).toEqual([
      { host: 'master02', certificate: '-', source: 'host', location: '192.168.80.20', status: 'unreachable', detail: 'ssh: master02: cannot connect to 192.168.80.20:22: connect ETIMEDOUT' },
    ]);
  });

  it('expiry: inside the renewal window (or --warn-within) a row in sync needs attention; expired ones always', async () => {
    const hosts = await deployedHosts(fleet);
    const leafEnd = (pick(rowsFor(fleet, hosts), 'master01', '/opt/kubernetes/ssl/apiserver.pem')?.expires as Date).getTime();
    const soon = rowsFor(fleet, hosts, new Date(leafEnd - 10 * DAY));
    const api = pick(soon, 'master01', '/opt/kubernetes/ssl/apiserver.pem') as RemoteCertRow;
    expect(api.status).toBe('in sync');
    expect(api.residualMs).toBe(10 * DAY);
    expect(api.renewWithinMs).toBe(30 * DAY);
    expect(needsAttention(api)).toBe(true);
    expect(needsAttention(api, 5 * DAY)).toBe(false);
    const ca = pick(soon, 'master01', '/opt/kubernetes/ssl/ca.pem') as RemoteCertRow;
    expect(needsAttention(ca)).toBe(false); // ten years
    const late = pick(rowsFor(fleet, hosts, new Date(leafEnd + DAY)), 'master01', '/opt/kubernetes/ssl/apiserver.pem') as RemoteCertRow;
    expect(late.residualMs).toBe(-DAY);
    expect(needsAttention(late, 0)).toBe(true);
  });

  it('during a kubernetes-ca rotation (stage 1) the trust bundles hold old + new: a host with both is in sync, one with the old CA alone is not', async () => {
    const current = fleet.state.pairs.get('kubernetes-ca')?.certPem as string;
    const next = older.state.pairs.get('kubernetes-ca')?.certPem as string; // stands in for the new root
    const rotation: CaRotation = {
      name: 'kubernetes-ca',
      stage: 1,
      startedAt: fleet.issuedAt.toISOString(),
      stages: [{ stage: 1, at: fleet.issuedAt.toISOString() }],
      old: { fingerprint: certFingerprint(current), pem: current },
      next: { fingerprint: certFingerprint(next), pem: next },
      backup: 'backup/rotation',
      nextKeyPem: older.state.pairs.get('kubernetes-ca')?.keyPem as string,
    };
    const state = { ...fleet.state, rotationJson: serializeRotation(rotation) };
    const inv = fleet.inventory;
    const bundle = bundleFromState(inv, shippedCatalogue(), state);
    const plan = buildPlan({ inventory: inv, pki: bundle, pkiDecisions: [], templates: loadTemplates() });
    const rotating: RemoteFleet = { ...fleet, state, plan, targets: remoteTargets(plan) };
    const hosts = await deployedHosts(rotating, (h, k) => kubeletCert(older, h, k)); // kubelets signed by the next root
    (hosts.get('node02') as FakeCertHostState).files.set('/opt/kubernetes/ssl/ca.pem', current);
    const answers = rotating.targets.map((t) => ({ host: t.host, observation: parseProbe(fakeProbeOutput(probeArgv(t.request), hosts.get(t.host) as FakeCertHostState), t.request) }));
    const { rows } = remoteRows(rotating.targets, answers, signerCas(inv, bundle), new Date(fleet.issuedAt.getTime() + DAY));
    expect(pick(rows, 'node01', '/opt/kubernetes/ssl/ca.pem')).toMatchObject({ status: 'in sync', count: 2, signer: 'self-signed' });
    expect(pick(rows, 'node01', '/opt/kubernetes/cfg/kube-proxy.kubeconfig [ca]')).toMatchObject({ status: 'in sync', count: 2 });
    expect(pick(rows, 'node02', '/opt/kubernetes/ssl/ca.pem')?.status).toBe('differs from state');
    // Same name and key here, so the current root verifies them first; what matters: trusted, not "wrong signer".
    expect(pick(rows, 'node01', '/var/lib/kubelet/pki/kubelet-client-current.pem')?.status).toBe('kubelet-rotated');
    expect([...signerCas(inv, bundle).keys()]).toEqual(['kubernetes-ca', 'etcd-ca', 'front-proxy-ca', 'kubernetes-ca (next)']);
  });
});

describe('bundleFromState and the etcd member record', () => {
  it('carries the identity record, so a plan from the state renders each etcd config as apply did (a joined member stays `existing`)', () => {
    const joined = fleet.plan.hosts.find((h) => h.host.roles.includes('etcd'))?.host.name as string;
    const identity = { cluster: 'c', createdAt: fleet.issuedAt.toISOString(), fingerprints: {}, replaced: [], etcdMembers: { [joined]: { initialClusterState: 'existing' as const, initialCluster: `${joined}=https://192.0.2.9:2380` } } };
    const state = { ...fleet.state, identityJson: serializeIdentity(identity) };
    const bundle = bundleFromState(fleet.inventory, shippedCatalogue(), state);
    expect(bundle.identity?.etcdMembers).toEqual(identity.etcdMembers);
    const plan = buildPlan({ inventory: fleet.inventory, pki: bundle, pkiDecisions: [], templates: loadTemplates() });
    const config = plan.hosts.find((h) => h.host.name === joined)?.artifacts.find((a) => a.path.endsWith('/etcd.conf.yml'))?.content;
    expect(config).toMatch(/^initial-cluster-state: ['"]?existing['"]?$/m);
  });
});
