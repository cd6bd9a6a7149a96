/**
 * Issue #10 part 1 on real hosts with real etcd (3.5.30 from /opt/kubesmith-test/etcd, three
 * nspawn hosts, the real CLI as a child process): `kubesmith etcd snapshot` and `etcd restore`.
 * Proven: N keys written, snapshot, M more written, restore -> exactly the N exist, all three
 * members healthy at one revision and listed; the same after one member's data directory was
 * deleted; and after one member's address changed (the host is re-addressed and its data
 * directory emptied, standing for a replacement host: the test hosts cannot boot a spare with
 * the same name), where restore first refuses naming `pki generate` and succeeds after it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { ETCDCTL_BIN } from '../support/etcd-bin.js';
import { etcdctlFromTest, runCli, setupApplyEnv, type ApplyEnv, type CliRun } from './apply-env.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/etcd-backup-restore.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const MEMBERS = HOSTS.map((h) => h.name);
const N = 300;
const M = 120;

describe.skipIf(!can.ok)('etcd snapshot and restore on real hosts', () => {
  let env: ApplyEnv;
  const ips = new Map<string, string>();
  const out = (): string => join(env.dir, 'backups');
  const cli = async (args: readonly string[]): Promise<CliRun> => {
    const r = await runCli(args, env.dir, 540_000);
    console.log(`$ kubesmith ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    return r;
  };
  /** etcdctl from the test machine against the members' current addresses. */
  const etcdctl = (args: readonly string[], input?: string): string => {
    const certs = join(env.dir, 'etcd-client');
    return execFileSync(
      ETCDCTL_BIN,
      [`--endpoints=${MEMBERS.map((m) => `https://${ips.get(m)}:2379`).join(',')}`, `--cacert=${certs}/ca.pem`, `--cert=${certs}/healthcheck-client.pem`, `--key=${certs}/healthcheck-client-key.pem`, '--command-timeout=30s', ...args],
      { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 60_000, ...(input === undefined ? {} : { input }) },
    );
  };
  /** Writes `count` keys under `prefix` in transactions of 100 puts. */
  const putKeys = (prefix: string, count: number): void => {
    for (let i = 0; i < count; i += 100) {
      const puts = Array.from({ length: Math.min(100, count - i) }, (_, k) => `put ${prefix}${String(i + k).padStart(5, '0')} v${i + k}`);
      // compares (none), blank, success requests, blank, failure requests (none), blank
      etcdctl(['txn'], `\n${puts.join('\n')}\n\n\n`);
    }
  };
  const countKeys = (prefix: string): number => etcdctl(['get', prefix, '--prefix', '--keys-only']).split('\n').filter((l) => l.startsWith(prefix)).length;
  const healthy = (): boolean[] => (JSON.parse(etcdctl(['endpoint', 'health', '-w', 'json'])) as { health: boolean }[]).map((h) => h.health);
  const revisions = (): number[] => (JSON.parse(etcdctl(['endpoint', 'status', '-w', 'json'])) as { Status: { header: { revision: number } } }[]).map((s) => s.Status.header.revision);
  const memberNames = (): string[] => etcdctl(['member', 'list']).split('\n').filter(Boolean).map((l) => `${l.split(', ')[2]}=${l.split(', ')[3]}`).sort();
  const snapshot = async (): Promise<string> => {
    const r = await cli(['etcd', 'snapshot', '-i', env.inventory, '--out', out(), '--keep', '2']);
    expect(r.code, r.stderr).toBe(0);
    const path = /^snapshot: (\S+)/m.exec(r.stdout)?.[1] ?? '';
    expect(path).toMatch(/\/e2e-\d{8}T\d{6}Z-rev\d+\.db$/);
    return path;
  };
  /** The restore's checks on the cluster: exactly the keys before the snapshot, 3 healthy members at one revision. */
  const expectRestored = (): void => {
    expect(countKeys('a/')).toBe(N);
    expect(countKeys('b/')).toBe(0);
    expect(healthy()).toEqual([true, true, true]);
    expect(new Set(revisions()).size).toBe(1);
    expect(memberNames()).toEqual(MEMBERS.map((m) => `${m}=https://${ips.get(m)}:2380`).sort());
  };

  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS);
    for (const h of env.group.hosts) ips.set(h.name, h.ip);
    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0);
    etcdctlFromTest(env, MEMBERS, ['endpoint', 'health']); // copies the client certificate for etcdctl above
  });
  afterAll(async () => {
    await env?.close();
  });

  it('snapshot: verified, named by cluster/time/revision, sha256 beside it, PKI tar 0600, host copy removed', async () => {
    putKeys('a/', N);
    const path = await snapshot();
    const sum = readFileSync(`${path}.sha256`, 'utf8');
    expect(sum).toBe(`${createHash('sha256').update(readFileSync(path)).digest('hex')}  ${path.slice(path.lastIndexOf('/') + 1)}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const tar = path.replace(/\.db$/, '-pki.tar');
    expect(statSync(tar).mode & 0o777).toBe(0o600);
    expect(execFileSync('tar', ['-tf', tar], { encoding: 'utf8' })).toMatch(/^pki\/etcd-ca\.crt$/m);
    // The snapshot's revision is the cluster's at that moment (no writes run meanwhile).
    expect(Number(/-rev(\d+)\.db$/.exec(path)?.[1])).toBe(Math.max(...revisions()));
    for (const h of env.group.hosts) expect((await h.ssh('ls /var/lib/kubesmith/etcd-backup/ 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
  });

  it('restore: exactly the keys written before the snapshot, 3 healthy members, data moved aside', async () => {
    const path = await snapshot();
    putKeys('b/', M);
    expect(countKeys('b/')).toBe(M);
    const dry = await cli(['etcd', 'restore', '-i', env.inventory, '--from', path, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/would change: run systemctl stop etcd.service/);
    expect(countKeys('b/')).toBe(M); // dry-run touched nothing
    const r = await cli(['etcd', 'restore', '-i', env.inventory, '--from', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/etcd after the restore \(snapshot revision \d+\)/);
    expectRestored();
    for (const h of env.group.hosts) expect((await h.ssh('ls -d /var/lib/etcd.before-restore-* | wc -l')).stdout.trim()).toBe('1');
  });

  it('restore refuses a snapshot whose .sha256 does not match, touching nothing', async () => {
    const path = readdirSync(out()).filter((n) => n.endsWith('.db')).map((n) => join(out(), n))[0] ?? '';
    const copy = `${path}.copy.db`;
    writeFileSync(copy, Buffer.concat([readFileSync(path), Buffer.from('x')]));
    writeFileSync(`${copy}.sha256`, readFileSync(`${path}.sha256`));
    const r = await cli(['etcd', 'restore', '-i', env.inventory, '--from', copy]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match .*nothing was touched/);
  });

  it('restore after one member lost its data directory', async () => {
    const path = await snapshot();
    putKeys('b/', M);
    await env.group.host('wk1').ssh('systemctl stop etcd && rm -rf /var/lib/etcd');
    const r = await cli(['etcd', 'restore', '-i', env.inventory, '--from', path]);
    expect(r.code, r.stderr).toBe(0);
    expectRestored();
  });

  it('restore after one member moved to a new address: refused until `pki generate`, then restored', async () => {
    const path = await snapshot();
    putKeys('b/', M);
    const wk2 = env.group.host('wk2');
    const old = wk2.ip;
    const fresh = old.replace(/\.\d+$/, '.61');
    // Re-address the host (detached: the session dies with the old address) and empty its etcd data.
    await wk2.ssh(`systemctl stop etcd; rm -rf /var/lib/etcd; nohup sh -c 'sleep 1; ip addr flush dev host0; ip addr add ${fresh}/24 dev host0; ip route add default via ${env.group.gateway}' >/dev/null 2>&1 &`);
    await waitPort(fresh, 22, 30_000);
    ips.set('wk2', fresh);
    const known = join(env.dir, 'known_hosts.newip');
    const lines = readFileSync(env.group.knownHostsFile, 'utf8').split('\n');
    writeFileSync(known, [...lines, ...lines.filter((l) => l.startsWith(`${old} `)).map((l) => l.replace(old, fresh))].join('\n'));
    const inv = join(env.dir, 'inventory-newip.yaml');
    writeFileSync(inv, readFileSync(env.inventory, 'utf8').replace(`address: ${old},`, `address: ${fresh},`).replace(env.group.knownHostsFile, known));
    const refused = await cli(['etcd', 'restore', '-i', inv, '--from', path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/certificates of wk2 do not match[\s\S]*kubesmith pki generate -i/);
    expect((await cli(['pki', 'generate', '-i', inv])).code).toBe(0);
    const r = await cli(['etcd', 'restore', '-i', inv, '--from', path]);
    expect(r.code, r.stderr).toBe(0);
    expectRestored();
    expect(existsSync(join(env.stateDir, 'etcd-restore.json'))).toBe(true);
  });
});

/** Waits until something accepts TCP on ip:port. */
async function waitPort(ip: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ host: ip, port, timeout: 1000 }, () => (s.destroy(), res(true)));
      s.on('error', () => res(false));
      s.on('timeout', () => (s.destroy(), res(false)));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${ip}:${port} not reachable after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
