/**
 * Issue #12 part 3 on real hosts with real etcd: a cluster whose certificates have all expired is
 * recovered by `kubesmith pki renew --all` + `kubesmith apply`.
 *
 * How the cluster gets expired certificates (test/support/expired-pki.ts): after a healthy apply
 * and a write, every leaf in the state is re-issued by the production code under a clock more
 * than a leaf lifetime in the past, and the files a plan of that moment deploys are written to the
 * hosts; every member is restarted on them, as a reboot a year later would. Members then reject
 * each other (expired peer certificates) and every client (expired server certificate): no quorum,
 * no health. Recovery needs no Kubernetes certificate (SSH only), restarts every member together
 * (a one-at-a-time restart would wait for the first member's health forever: its peers still
 * present expired certificates), and the data written before is still there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts } from '../support/test-hosts.js';
import { credentialFilesAt, expireStateLeaves, notAfterOf, pushFiles } from '../support/expired-pki.js';
import { etcdctlFromTest, runCli, setupApplyEnv, type ApplyEnv } from './apply-env.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/expired-recovery.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const MEMBERS = HOSTS.map((h) => h.name);
const KEY = '/kubesmith-test/written-before-expiry';

/** etcdctl from the test machine, as text; a failure's stderr is the result (the command's own words). */
function etcdctlText(env: ApplyEnv, args: readonly string[]): { ok: boolean; text: string } {
  try {
    return { ok: true, text: etcdctlFromTest(env, MEMBERS, args) };
  } catch (err) {
    const e = err as { stderr?: Buffer | string; message: string };
    return { ok: false, text: `${e.stderr?.toString() ?? ''}${e.message}` };
  }
}

describe.skipIf(!can.ok)('recovering an etcd cluster whose certificates have all expired', () => {
  let env: ApplyEnv;
  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS);
  }, 300_000);
  afterAll(async () => {
    await env?.close();
  });

  it('a healthy cluster holds data written before the expiry', async () => {
    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0);
    etcdctlFromTest(env, MEMBERS, ['put', KEY, 'still-here']);
    expect(etcdctlFromTest(env, MEMBERS, ['get', KEY, '--print-value-only']).trim()).toBe('still-here');
  }, 300_000);

  it('with every certificate expired and the members restarted, the cluster is down: certificate expired', async () => {
    const { inventory, issuedAt, leaves } = await expireStateLeaves(env.inventory, env.dir);
    expect(leaves).toBeGreaterThan(10);
    const files = await credentialFilesAt(inventory, new Date(issuedAt.getTime() + 3600_000));
    await pushFiles(env.group, files);
    for (const h of env.group.hosts) {
      expect(notAfterOf(h.readFile('/opt/etcd/ssl/peer.pem')).getTime(), `${h.name} peer.pem`).toBeLessThan(Date.now());
      expect(notAfterOf(h.readFile('/opt/etcd/ssl/server.pem')).getTime(), `${h.name} server.pem`).toBeLessThan(Date.now());
    }
    const restartedAt = Math.floor(Date.now() / 1000);
    await Promise.all(env.group.hosts.map((h) => h.ssh('systemctl restart --no-block etcd')));
    // Why each member is down is in its journal, written by the restarted process once its peer
    // prober or stream dialer has failed: a few seconds after the restart on a quiet machine, longer
    // beside a busy test suite, so the journals are read until they say it (150 s at most).
    const expired = /certificate has expired|expired certificate/;
    const saidWhy = new Map<string, string>();
    const until = Date.now() + 150_000;
    while (saidWhy.size < env.group.hosts.length && Date.now() < until) {
      for (const h of env.group.hosts) {
        if (saidWhy.has(h.name)) continue;
        const journal = (await h.ssh(`journalctl -u etcd --since @${restartedAt} --no-pager`)).stdout;
        const line = journal.split('\n').find((l) => expired.test(l));
        if (line) saidWhy.set(h.name, line);
      }
      if (saidWhy.size < env.group.hosts.length) await new Promise((r) => setTimeout(r, 1000));
    }
    // etcdctl's summary is "failed to commit proposal" (no quorum); the members' journals said why.
    const health = etcdctlText(env, ['endpoint', 'health', '--command-timeout=3s']);
    expect(health.ok, health.text).toBe(false);
    // A member missing here had not said "certificate has expired" in its journal within 150 s.
    expect([...saidWhy.keys()].sort(), 'members whose journal said their peers\' certificates expired').toEqual([...MEMBERS].sort());
  }, 300_000);

  it('pki renew --all + apply recover it: 3 healthy members, the data is still there', async () => {
    const renew = await runCli(['pki', 'renew', '-i', env.inventory, '--all'], env.dir);
    expect(renew.code, renew.stderr).toBe(0);
    const t0 = Date.now();
    const run = await env.apply();
    const seconds = (Date.now() - t0) / 1000;
    console.log(`recovery apply took ${seconds.toFixed(1)} s; it printed:\n${run.stderr}`);
    expect(run.code, run.stderr).toBe(0);
    // The decision is planned and said, not an accident of parallel restarts.
    expect(run.stderr).toMatch(/etcd: certificates deployed here expired .*restart(s|ed)? (every member )?together/);
    const health = JSON.parse(etcdctlFromTest(env, MEMBERS, ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
    const list = etcdctlFromTest(env, MEMBERS, ['member', 'list']);
    expect(list.split('\n').filter(Boolean).map((l) => l.split(', ')[2]).sort()).toEqual(MEMBERS);
    expect(etcdctlFromTest(env, MEMBERS, ['get', KEY, '--print-value-only']).trim()).toBe('still-here');
    for (const h of env.group.hosts) expect(notAfterOf(h.readFile('/opt/etcd/ssl/peer.pem')).getTime()).toBeGreaterThan(Date.now() + 300 * 24 * 3600_000);
  }, 600_000);

  it('a second apply changes nothing and says nothing about expired certificates', async () => {
    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/expired/);
  }, 300_000);
});
