/**
 * `kubesmith pki check --remote` as a command: the inventory and PKI state read from disk (a real
 * state dir written by the production store), the plan built from it, hosts answering through
 * injected readers (simulated hosts printing what the probe prints; the real script runs in
 * remote-probe-script.test.ts and on real hosts in test/hosts/pki-check-remote.test.ts). Exit
 * codes, --limit, --json, --prometheus (atomic, nothing left behind), unreachable hosts as rows,
 * and nothing written to the state dir.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/command.js';
import { pkiCheckCommand } from '../../src/cli/commands/pki-check.js';
import { checkConcurrency, runRemoteCheck, type RemoteCheckDeps } from '../../src/cli/commands/pki-check-remote.js';
import type { Inventory } from '../../src/inventory/types.js';
import { SshError } from '../../src/shared/errors.js';
import { loadInventory } from '../../src/state/load-inventory.js';
import { pkiStateDir, savePkiState } from '../../src/state/pki-store.js';
import { FakeCertReader, type FakeCertHostState } from '../support/fake-cert-host.js';
import { deployedHosts, kubeletCert, remoteFleet, type RemoteFleet } from '../support/remote-fleet.js';
import { snapshotTree } from '../support/tree-snapshot.js';

let dir: string;
let inv: Inventory;
let fleet: RemoteFleet;
let older: RemoteFleet;

function ctx(values: Record<string, string | boolean | string[]> = {}): CommandContext & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { values: { inventory: 'inventory.yaml', ...values }, positionals: [], stdout, stderr, env: {}, cwd: dir, signal: new AbortController().signal, color: false, isTTY: false, debug: false, out: () => out, err: () => err };
}

/** Readers for `hosts`; names in `down` refuse SSH like a host that is off. */
function deps(hosts: Map<string, FakeCertHostState>, down: readonly string[] = [], opened: string[] = []): RemoteCheckDeps {
  return {
    clock: { now: () => new Date(fleet.issuedAt.getTime() + 86_400_000) },
    open: async (h) => {
      opened.push(h.name);
      if (down.includes(h.name)) throw new SshError('E_SSH_CONNECT', h.name, `cannot connect to ${h.address}:22: connect EHOSTUNREACH`, { hint: 'check that the host is up' });
      return { reader: new FakeCertReader(h.name, hosts.get(h.name) as FakeCertHostState), close: async () => void opened.push(`closed ${h.name}`) };
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-pki-remote-'));
  copyFileSync(new URL('../../inventory.example.yaml', import.meta.url), join(dir, 'inventory.yaml'));
  inv = (await loadInventory('inventory.yaml', dir)).inventory;
  fleet = await remoteFleet(inv);
  older = await remoteFleet(inv, new Date(fleet.issuedAt.getTime() - 100 * 86_400_000));
  savePkiState(pkiStateDir(inv), fleet.writes);
});

describe('kubesmith pki check --remote (command)', () => {
  it('every host in sync: exit 0, one table, each host opened and closed once, the state dir untouched', async () => {
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    const before = snapshotTree(pkiStateDir(inv));
    const opened: string[] = [];
    const c = ctx();
    expect(await runRemoteCheck(c, { inventory: inv, json: false }, deps(hosts, [], opened))).toBe(0);
    expect(c.out()).toMatch(/^CLUSTER demo: 4 hosts checked over SSH, 4 answered, at /);
    expect(c.out()).toMatch(/^master01 +etcd-server +\/opt\/etcd\/ssl\/server.pem +\w{3} \d\d, \d{4} \d\d:\d\d UTC +364d +etcd-ca +in sync$/m);
    expect(c.out()).toMatch(/^node02 +kubelet-serving +192\.168\.80\.12:10250 .* kubernetes-ca +kubelet-rotated$/m);
    expect(c.out()).not.toContain('attention');
    expect(opened.filter((o) => !o.startsWith('closed')).sort()).toEqual(['master01', 'master02', 'node01', 'node02']);
    expect(opened.filter((o) => o.startsWith('closed')).length).toBe(4);
    expect(snapshotTree(pkiStateDir(inv))).toEqual(before);
  });

  it('hosts still on the old certificates, one host down: exit 1, rows say so, --json and --prometheus agree', async () => {
    const hosts = await deployedHosts(older, (h, k) => kubeletCert(fleet, h, k));
    const prom = join(dir, 'metrics', 'kubesmith.prom');
    (await import('node:fs')).mkdirSync(join(dir, 'metrics'), { recursive: true });
    writeFileSync(prom, 'old content\n');
    const c = ctx();
    expect(await runRemoteCheck(c, { inventory: inv, json: true, prometheus: 'metrics/kubesmith.prom' }, deps(hosts, ['node02']))).toBe(1);
    const doc = JSON.parse(c.out()) as { kind: string; hosts: { host: string; reachable: boolean; error?: string }[]; certificates: { host: string; status: string; attention: boolean }[]; summary: { unreachable: number } };
    expect(doc.kind).toBe('kubesmith.pki-check-remote/v1');
    expect(doc.hosts.find((h) => h.host === 'node02')).toEqual({ host: 'node02', address: '192.168.80.12', reachable: false, error: 'ssh: node02: cannot connect to 192.168.80.12:22: connect EHOSTUNREACH (check that the host is up)' });
    expect(doc.certificates.filter((r) => r.host === 'node02').map((r) => r.status)).toEqual(['unreachable']);
    expect(doc.certificates.filter((r) => r.host === 'master01' && r.status === 'differs from state').length).toBeGreaterThan(10);
    expect(c.err()).toContain('1 of 4 hosts could not be checked: node02');
    const text = readFileSync(prom, 'utf8');
    expect(text).toContain('kubesmith_certificate_check_up{cluster="demo",host="node02"} 0');
    expect(text).toMatch(/^kubesmith_certificate_in_sync\{cluster="demo",host="master01",certificate="etcd-server",source="file",location="\/opt\/etcd\/ssl\/server.pem"\} 0$/m);
    expect((statSync(prom).mode & 0o777).toString(8)).toBe('644');
    expect(readdirSync(join(dir, 'metrics'))).toEqual(['kubesmith.prom']); // no temp file left
  });

  it('--limit asks only the named hosts; --warn-within flags what the renewal window would not', async () => {
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    const opened: string[] = [];
    const c = ctx();
    expect(await runRemoteCheck(c, { inventory: inv, json: true, limit: ['node01'], warnMs: 400 * 86_400_000, warnText: '400d' }, deps(hosts, [], opened))).toBe(1);
    expect(opened).toEqual(['node01', 'closed node01']);
    const doc = JSON.parse(c.out()) as { warnWithinSeconds: number; certificates: { host: string; attention: boolean; certificate: string }[] };
    expect(new Set(doc.certificates.map((r) => r.host))).toEqual(new Set(['node01']));
    expect(doc.warnWithinSeconds).toBe(400 * 86_400);
    expect(doc.certificates.filter((r) => r.attention).map((r) => r.certificate)).toContain('etcd-server'); // 364 days < 400 days
  });

  it('refuses flags that need --remote, unknown --limit hosts and a metrics file it cannot write, before or without touching a host', async () => {
    await expect(pkiCheckCommand.run(ctx({ prometheus: 'x.prom' }))).rejects.toThrow(/--prometheus needs --remote/);
    await expect(pkiCheckCommand.run(ctx({ limit: ['node01'] }))).rejects.toThrow(/--limit needs --remote/);
    await expect(pkiCheckCommand.run(ctx({ remote: true, limit: ['node09'] }))).rejects.toThrow(/--limit: unknown host "node09"/);
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    await expect(runRemoteCheck(ctx(), { inventory: inv, json: false, prometheus: 'no/such/dir/k.prom' }, deps(hosts))).rejects.toThrow(/no\/such\/dir\/k.prom: cannot write the metrics file \(ENOENT\)/);
  });

  it('a state without the certificates the plan needs is refused with what to run', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'kubesmith-pki-remote-bare-'));
    copyFileSync(join(dir, 'inventory.yaml'), join(bare, 'inventory.yaml'));
    const bareInv = (await loadInventory('inventory.yaml', bare)).inventory;
    const c = { ...ctx(), cwd: bare };
    await expect(runRemoteCheck(c, { inventory: bareInv, json: false }, deps(new Map()))).rejects.toThrow(/the PKI state has no certificate for kubernetes-ca, /);
  });

  it('asks 64 hosts at once, or concurrency.hosts through a bastion (its sshd MaxStartups)', () => {
    expect(checkConcurrency(inv)).toBe(64);
    expect(checkConcurrency({ ...inv, concurrency: { ...inv.concurrency, hosts: 100 } })).toBe(100);
    const viaBastion = { ...inv, hosts: inv.hosts.map((h, i) => (i === 0 ? { ...h, ssh: { ...h.ssh, bastion: { address: '10.0.0.1', port: 22, user: 'jump' } } } : h)) } as Inventory;
    expect(checkConcurrency(viaBastion)).toBe(inv.concurrency.hosts);
  });

  it('--debug says where the time went', async () => {
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    const c = { ...ctx(), debug: true };
    await runRemoteCheck(c, { inventory: inv, json: true }, deps(hosts));
    expect(c.err()).toMatch(/^pki check --remote timings: plan \d+ ms, hosts \d+ ms \(slowest \w+: connect \d+, probe \d+, close \d+ ms\), report \d+ ms$/m);
  });
});
