/**
 * `kubesmith pki check --remote` on three real hosts (systemd-nspawn + sshd + systemd, a real
 * 3-member TLS etcd installed by `apply`): the real CLI as a child process, the real ssh2
 * connections with known_hosts, the real probe script with the hosts' own awk and openssl.
 * After apply every deployed place is in sync; after `pki renew` without apply the renewed
 * certificate's file and endpoint differ from the state; apply brings them back in sync; a file
 * replaced under a server that has not reloaded it shows "served != on disk". Timings printed.
 *
 * The Kubernetes binaries of the test bundle are stubs that do not run (apply.test.ts), so the
 * apiserver and kubelet endpoints are "not serving" and the kubelet has issued nothing. etcd
 * re-reads its certificate files on every handshake (client/pkg/transport/listener.go,
 * GetCertificate), so it never serves a stale file; for "served != on disk" an `openssl s_server`
 * holding the deployed apiserver pair stands in for a kube-apiserver that has not restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { runCli, setupApplyEnv, type ApplyEnv, type CliRun } from './apply-env.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/pki-check-remote.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];

interface Row {
  host: string;
  certificate: string;
  source: string;
  location: string;
  status: string;
  signer?: string;
  residualSeconds?: number;
}
interface Doc {
  hosts: { host: string; reachable: boolean }[];
  certificates: Row[];
}

describe.skipIf(!can.ok)('pki check --remote on real hosts', () => {
  let env: ApplyEnv;
  const times: number[] = [];
  const breakdown: string[] = [];

  /** Runs the check; records its wall time; returns the parsed --json document. */
  async function check(extra: readonly string[] = []): Promise<{ run: CliRun; doc: Doc }> {
    const t0 = performance.now();
    const run = await runCli(['pki', 'check', '--remote', '--json', '--debug', '-i', env.inventory, ...extra], env.dir);
    times.push(performance.now() - t0);
    const timing = /pki check --remote timings: .*/.exec(run.stderr)?.[0];
    if (timing) breakdown.push(timing.replace('pki check --remote timings: ', ''));
    expect(run.stderr).not.toMatch(/\(node:\d+\) \w*Warning/);
    return { run, doc: JSON.parse(run.stdout) as Doc };
  }
  const row = (d: Doc, host: string, location: string): Row | undefined => d.certificates.find((r) => r.host === host && r.location === location);
  const ip = (h: string): string => env.group.host(h).ip;

  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS);
    const first = await env.apply();
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    if (times.length > 0) {
      // For context: what a bare node process and one on-host handshake cost on this machine right now.
      const t0 = performance.now();
      (await import('node:child_process')).spawnSync(process.execPath, ['-e', '']);
      const nodeMs = performance.now() - t0;
      const hs = await env.group.host('cp1').ssh(`s=$(date +%s%N); openssl s_client -connect ${ip('cp1')}:2379 </dev/null >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e-s)/1000000 ))`);
      const { loadavg } = await import('node:os');
      console.log(
        `pki check --remote on 3 real hosts (whole CLI process): ${times.map((t) => `${Math.round(t)} ms`).join(', ')}; ` +
          `bare node startup ${Math.round(nodeMs)} ms, one s_client handshake on cp1 ${hs.stdout.trim()} ms, load average ${(loadavg()[0] ?? 0).toFixed(1)}`,
      );
      console.log(`inside the process (--debug):\n  ${breakdown.join('\n  ')}`);
    }
    await env?.close();
  });

  it('after apply: every deployed certificate, kubeconfig field and etcd endpoint in sync (exit 0)', async () => {
    const { run, doc } = await check();
    expect(run.code, run.stderr).toBe(0);
    expect(doc.hosts.map((h) => [h.host, h.reachable])).toEqual([['cp1', true], ['wk1', true], ['wk2', true]]);
    const compared = doc.certificates.filter((r) => r.source === 'file' || r.source === 'kubeconfig');
    // cp1 (etcd + control plane): 11 files, 7 kubeconfig fields; wk1, wk2 (etcd + worker): 5 files, 3 fields each.
    expect(compared.length).toBe(34);
    expect(compared.filter((r) => r.status !== 'in sync')).toEqual([]);
    for (const h of ['cp1', 'wk1', 'wk2']) {
      expect(row(doc, h, `${ip(h)}:2379`)).toMatchObject({ certificate: 'etcd-server', status: 'in sync', signer: 'etcd-ca' });
      expect(row(doc, h, `${ip(h)}:2380`)).toMatchObject({ certificate: 'etcd-peer', status: 'in sync', signer: 'etcd-ca' });
      // Stub kubelets: nothing issued, nothing served; informational, not a failure.
      expect(row(doc, h, '/var/lib/kubelet/pki/kubelet-client-current.pem')?.status).toBe('not issued');
      expect(row(doc, h, `${ip(h)}:10250`)?.status).toBe('not serving');
    }
    expect(row(doc, 'cp1', '/opt/kubernetes/ssl/apiserver.pem')?.residualSeconds).toBeGreaterThan(360 * 86_400);
    // The human table, the same facts.
    const table = await runCli(['pki', 'check', '--remote', '-i', env.inventory, '--limit', 'wk1'], env.dir);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^wk1 +etcd-server +${ip('wk1').replace(/\./g, '\\.')}:2379 +\\w{3} \\d\\d, \\d{4} \\d\\d:\\d\\d UTC +36\\dd +etcd-ca +in sync$`, 'm'));
    expect(table.stdout).not.toMatch(/^cp1 /m);
  });

  it('after pki renew without apply: "differs from state" on file and endpoint (exit 1); after apply: in sync', async () => {
    const renew = await runCli(['pki', 'renew', '-i', env.inventory, 'etcd-server@wk1'], env.dir);
    expect(renew.code, renew.stderr).toBe(0);
    const stale = await check();
    expect(stale.run.code).toBe(1);
    expect(row(stale.doc, 'wk1', '/opt/etcd/ssl/server.pem')).toMatchObject({ status: 'differs from state' });
    expect(row(stale.doc, 'wk1', `${ip('wk1')}:2379`)).toMatchObject({ status: 'differs from state' });
    expect(row(stale.doc, 'wk2', '/opt/etcd/ssl/server.pem')?.status).toBe('in sync');
    expect(stale.run.stderr).toContain('`kubesmith apply`');
    const applied = await env.apply();
    expect(applied.code, applied.stderr).toBe(0);
    const fresh = await check();
    expect(fresh.run.code, fresh.run.stderr).toBe(0);
    expect(row(fresh.doc, 'wk1', '/opt/etcd/ssl/server.pem')?.status).toBe('in sync');
    expect(row(fresh.doc, 'wk1', `${ip('wk1')}:2379`)?.status).toBe('in sync');
  });

  it('a renewed file its server has not loaded: "served != on disk"; an unreachable host is a row (exit 1)', async () => {
    const cp1 = env.group.host('cp1');
    // A stand-in for a kube-apiserver that has not restarted: it holds the deployed pair in memory.
    const start = await cp1.ssh(
      `systemd-run --unit=ks-fake-apiserver sh -c 'sleep infinity | openssl s_server -www -accept ${ip('cp1')}:6443 -cert /opt/kubernetes/ssl/apiserver.pem -key /opt/kubernetes/ssl/apiserver-key.pem'`,
    );
    expect(start.code, start.stderr).toBe(0);
    try {
      for (let i = 0; i < 50 && !(await cp1.ssh("ss -Hltn 'sport = :6443'")).stdout.includes(ip('cp1')); i++) await new Promise((r) => setTimeout(r, 100));
      const serving = await check(['--limit', 'cp1']);
      expect(row(serving.doc, 'cp1', `${ip('cp1')}:6443`)).toMatchObject({ certificate: 'apiserver', status: 'in sync', signer: 'kubernetes-ca' });
      // pki renew, then the new certificate written to the host by hand, the server not restarted.
      expect((await runCli(['pki', 'renew', '-i', env.inventory, 'apiserver'], env.dir)).code).toBe(0);
      const { readFileSync } = await import('node:fs');
      const renewed = readFileSync(`${env.stateDir}/pki/apiserver.crt`, 'utf8');
      expect((await cp1.ssh('cat > /opt/kubernetes/ssl/apiserver.pem', { input: renewed })).code).toBe(0);
      const { run, doc } = await check(['--limit', 'cp1']);
      expect(run.code).toBe(1);
      expect(row(doc, 'cp1', '/opt/kubernetes/ssl/apiserver.pem')?.status).toBe('in sync');
      expect(row(doc, 'cp1', `${ip('cp1')}:6443`)).toMatchObject({ status: 'served != on disk' });
      const table = await runCli(['pki', 'check', '--remote', '-i', env.inventory, '--limit', 'cp1'], env.dir);
      expect(table.stdout).toMatch(/cp1 apiserver [\d.]+:6443: served != on disk \(\/opt\/kubernetes\/ssl\/apiserver.pem holds another certificate; restart the service/);
    } finally {
      await cp1.ssh('systemctl stop ks-fake-apiserver');
    }
    await env.group.host('wk2').stop();
    try {
      const { run, doc } = await check();
      expect(run.code).toBe(1);
      expect(doc.certificates.filter((r) => r.host === 'wk2').map((r) => r.status)).toEqual(['unreachable']);
      expect(doc.certificates.filter((r) => r.host === 'wk1' && r.source === 'file').every((r) => r.status === 'in sync')).toBe(true);
    } finally {
      await env.group.host('wk2').start();
    }
  });
});
