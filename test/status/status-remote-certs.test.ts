/**
 * `kubesmith status`'s certificates on the hosts: the certificate probe of `pki check --remote` runs
 * on the SSH connections status opens to the etcd members (no other host is connected to), and the
 * section says how many deployed places match the state, lists the rest, and turns an expired
 * certificate on a host into a problem while a place not yet updated only warns. The API is down
 * in these runs (no tunnel), which status reports on its own; only the certificate parts are
 * asserted. The state is a real one (production CA code) saved by the production store.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.js';
import { runStatus, type StatusDeps } from '../../src/cli/commands/status.js';
import type { Inventory } from '../../src/inventory/types.js';
import { SshError } from '../../src/shared/errors.js';
import { loadInventory } from '../../src/state/load-inventory.js';
import { pkiStateDir, savePkiState } from '../../src/state/pki-store.js';
import type { StatusReport } from '../../src/status/types.js';
import { FakeCertReader, type FakeCertHostState } from '../support/fake-cert-host.js';
import { deployedHosts, kubeletCert, remoteFleet, type RemoteFleet } from '../support/remote-fleet.js';

let dir: string;
let inv: Inventory;
let fleet: RemoteFleet;
let older: RemoteFleet;

function ctx(json: boolean): CommandContext & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { values: { inventory: 'inventory.yaml', json }, positionals: [], stdout, stderr: new PassThrough(), env: {}, cwd: dir, signal: new AbortController().signal, color: false, isTTY: false, debug: false, out: () => out };
}

function deps(hosts: Map<string, FakeCertHostState>, now: Date, opened: string[]): StatusDeps {
  return {
    clock: { now: () => now },
    openTunnel: async (_i, host) => {
      throw new SshError('E_SSH_CONNECT', host, 'cannot connect: connect ECONNREFUSED');
    },
    openHost: async (h) => {
      opened.push(h.name);
      return { reader: new FakeCertReader(h.name, hosts.get(h.name) as FakeCertHostState), close: async () => undefined };
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-status-certs-'));
  copyFileSync(new URL('../../inventory.example.yaml', import.meta.url), join(dir, 'inventory.yaml'));
  inv = (await loadInventory('inventory.yaml', dir)).inventory;
  fleet = await remoteFleet(inv);
  older = await remoteFleet(inv, new Date(fleet.issuedAt.getTime() - 100 * 86_400_000));
  savePkiState(pkiStateDir(inv), fleet.writes);
});

describe('kubesmith status: certificates on the hosts', () => {
  it('compares the etcd members it connects to, and only those', async () => {
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    const opened: string[] = [];
    const c = ctx(true);
    await runStatus(c, deps(hosts, new Date(fleet.issuedAt.getTime() + 86_400_000), opened));
    expect(opened.sort()).toEqual(['master01', 'node01', 'node02']); // the etcd members; master02 is not connected to
    const r = JSON.parse(c.out()) as StatusReport;
    const remote = r.certificates.remote;
    expect(remote).toMatchObject({ hosts: ['master01', 'node01', 'node02'], totalHosts: 4, attention: [] });
    expect(remote?.places).toBeGreaterThan(40);
    expect(remote?.inSync).toBe(remote?.places);
    expect(r.warnings.filter((w) => w.includes('on the hosts') || / on (master|node)\d+ /.test(w))).toEqual([]);
  });

  it('a member still on the old certificates warns; an expired one is a problem; the table shows both', async () => {
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    const stale = (await deployedHosts(older)).get('node01') as FakeCertHostState;
    const n1 = hosts.get('node01') as FakeCertHostState;
    n1.files.set('/opt/etcd/ssl/server.pem', stale.files.get('/opt/etcd/ssl/server.pem') as string);
    const text = ctx(false);
    await runStatus(text, deps(hosts, new Date(fleet.issuedAt.getTime() + 86_400_000), []));
    expect(text.out()).toMatch(/^On hosts: (\d+)\/\d+ deployed certificates match the state on 3 of 4 hosts \(master01, node01, node02; `kubesmith pki check --remote` checks every host\)$/m);
    expect(text.out()).toMatch(/^node01 +etcd-server +\/opt\/etcd\/ssl\/server.pem +differs from state /m);
    const j = ctx(true);
    await runStatus(j, deps(hosts, new Date(fleet.issuedAt.getTime() + 86_400_000), []));
    const r = JSON.parse(j.out()) as StatusReport;
    expect(r.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^certificate etcd-server on node01 \(\/opt\/etcd\/ssl\/server.pem\): differs from state \(expires /)]));
    // A year and a day later every deployed leaf has expired on the hosts.
    const late = ctx(true);
    await runStatus(late, deps(hosts, new Date(fleet.issuedAt.getTime() + 366 * 86_400_000), []));
    const lr = JSON.parse(late.out()) as StatusReport;
    expect(lr.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^certificate etcd-peer on master01 \(\/opt\/etcd\/ssl\/peer.pem\): expired \(expires /)]));
    expect(lr.healthy).toBe(false);
  });
});
