/**
 * `kubesmith status` end to end through runStatus with its outside world injected: the SSH tunnel
 * opener hands out plain TCP streams to a fake apiserver for master01 (the real SSH forwarding is
 * covered by test/kube/approve-ssh.test.ts with a local sshd) and refuses master02 as an unreachable
 * host would; etcd hosts refuse SSH (the etcd probe itself runs against a real etcd in
 * etcd.test.ts). Credentials come from a real PKI state dir; the apiserver is the fake
 * (test/support/fake-apiserver.ts) because no kube-apiserver binary exists here.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runStatus, type StatusDeps } from '../../src/cli/commands/status.js';
import type { CommandContext } from '../../src/cli/command.js';
import { SshError } from '../../src/shared/errors.js';
import { savePkiState } from '../../src/state/pki-store.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { makeTestPki, type TestPki } from '../kube/support/test-pki.js';
import { LEASES, lease, node, NODES } from './support/cluster.js';

let pki: TestPki;
let api: FakeApiServer | undefined;
let dir: string;
let bare: string;

beforeAll(async () => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-status-cmd-'));
  bare = mkdtempSync(join(tmpdir(), 'kubesmith-status-bare-'));
  for (const d of [dir, bare]) copyFileSync(new URL('../../inventory.example.yaml', import.meta.url), join(d, 'inventory.yaml'));
  await savePkiState(join(dir, '.kubesmith', 'demo', 'pki'), [
    { name: 'kubernetes-ca.crt', content: pki.ca.certPem, secret: false },
    { name: 'admin.crt', content: pki.admin.certPem, secret: false },
    { name: 'admin.key', content: pki.admin.keyPem, secret: true },
  ]);
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function ctx(cwd: string, values: Record<string, string | boolean>, color = false): CommandContext & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { values: { inventory: 'inventory.yaml', ...values }, positionals: [], stdout, stderr: new PassThrough(), env: {}, cwd, signal: new AbortController().signal, color, isTTY: color, debug: false, out: () => out };
}

function deps(seen: string[]): StatusDeps {
  return {
    clock: { now: () => new Date() },
    openTunnel: async (_inv, host) => {
      seen.push(`tunnel ${host}`);
      if (host !== 'master01') throw new SshError('E_SSH_CONNECT', host, 'cannot connect to 192.168.80.20:22: connect EHOSTUNREACH');
      return { verifyName: '127.0.0.1', describe: 'https://127.0.0.1:6443 via ssh master01', connect: async () => connect(api!.port, '127.0.0.1'), close: async () => void seen.push('closed master01') };
    },
    openHost: async (h) => {
      seen.push(`ssh ${h.name}`);
      throw new SshError('E_SSH_CONNECT', h.name, `cannot connect to ${h.address}:22: connect ETIMEDOUT`);
    },
  };
}

describe('kubesmith status (command)', () => {
  it('asks every control-plane and etcd host, shows unreachable ones as rows, closes what it opened (exit 1)', async () => {
    api = await startFakeApiServer(pki);
    const now = new Date();
    for (const [n, ip] of [['master01', '192.168.80.10'], ['master02', '192.168.80.20'], ['node01', '192.168.80.11'], ['node02', '192.168.80.12']] as const) api.put(NODES, node(n, ip, 'True'));
    for (const c of ['kube-controller-manager', 'kube-scheduler']) api.put(LEASES, lease(c, `master01_${c}`, now, 1));
    const seen: string[] = [];
    const c = ctx(dir, { json: true });
    expect(await runStatus(c, deps(seen))).toBe(1);
    expect(seen.filter((s) => !s.startsWith('closed')).sort()).toEqual(['ssh master01', 'ssh node01', 'ssh node02', 'tunnel master01', 'tunnel master02']);
    expect(seen).toContain('closed master01');
    const r = JSON.parse(c.out()) as { healthy: boolean; endpoint: string; apiservers: Array<{ host: string; ready: boolean; detail: string }>; etcd: { members: Array<{ host: string; healthy: boolean; error?: string }> }; leaders: Array<{ expired: boolean }>; problems: string[] };
    expect(r.endpoint).toBe('https://127.0.0.1:6443 via ssh master01');
    expect(r.apiservers).toEqual([
      { host: 'master01', endpoint: 'https://127.0.0.1:6443 via ssh master01', ready: true, detail: 'ok' },
      { host: 'master02', endpoint: '-', ready: false, detail: 'cannot connect to 192.168.80.20:22: connect EHOSTUNREACH' },
    ]);
    expect(r.etcd.members.map((m) => [m.host, m.healthy, m.error])).toEqual([
      ['master01', false, 'cannot connect to 192.168.80.10:22: connect ETIMEDOUT'],
      ['node01', false, 'cannot connect to 192.168.80.11:22: connect ETIMEDOUT'],
      ['node02', false, 'cannot connect to 192.168.80.12:22: connect ETIMEDOUT'],
    ]);
    expect(r.leaders.every((l) => !l.expired)).toBe(true);
    expect(r.problems).toHaveLength(4); // master02's apiserver and three etcd members
    expect(api.requests.every((q) => q.method === 'GET')).toBe(true); // read-only
  });

  it('without a PKI state still reports etcd and the certificates, with the reason in the apiserver rows', async () => {
    const seen: string[] = [];
    const c = ctx(bare, {});
    expect(await runStatus(c, deps(seen))).toBe(1);
    expect(seen.some((s) => s.startsWith('tunnel'))).toBe(false);
    const lines = c.out().split('\n');
    expect(lines.find((l) => l.startsWith('master01 '))).toMatch(/^master01\s+-\s+failed\s+.*no kubernetes CA or admin certificate in the PKI state$/);
    expect(c.out()).toMatch(/\nnode02\s+https:\/\/192\.168\.80\.12:2379\s+unreachable\s+-\s+-\s+-\s+-\s+cannot connect/);
    expect(c.out()).toContain('Certs:  0/20 ok');
    expect(c.out()).toContain('missing from the local state: kubernetes-ca, etcd-ca,');
    expect(c.out()).toContain('  problem: cluster API: no apiserver could be reached (see the apiserver rows): leaders, nodes and CSRs unknown\n');
    expect(c.out()).not.toContain('problem: nodes:');
  });

  it('colours the report only when the context says so (NO_COLOR / not a TTY)', async () => {
    api = await startFakeApiServer(pki);
    const plain = ctx(dir, { server: api.url });
    await runStatus(plain, deps([]));
    expect(plain.out()).not.toContain('\u001b[');
    expect(plain.out()).toContain('ETCD:   not checked: --server reaches the API directly');
    const colored = ctx(dir, { server: api.url }, true);
    await runStatus(colored, deps([]));
    expect(colored.out()).toContain('\u001b[31m');
  });
});
