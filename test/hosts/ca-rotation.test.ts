/**
 * Issue #12 part 4 on real hosts with real etcd (three nspawn members): `kubesmith pki rotate-ca
 * etcd` through all three stages, a full `apply` after each, while a client writes every 50 ms
 * (etcd-write-load.ts, the rolling-restart proof's load: 1 s budget per write, all endpoints).
 * The client uses the credentials a real one has at that moment: the trust file and the
 * healthcheck-client pair read off a member before each stage's apply.
 * Proven per stage: etcd healthy, no write refused, every acknowledged write reads back, never two
 * members down at once; the trust file holds old + new (stages 1, 2) then only the new CA; members
 * serve certificates of the new CA from stage 2; after stage 3 a client certificate of the old CA
 * is refused and the new CA alone verifies every member; a key written before the rotation is kept.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pemBlocks } from '../../src/pki/trust-bundle.js';
import { canBootHosts } from '../support/test-hosts.js';
import { etcdctlFromTest, runCli, setupApplyEnv, summaryOf, type ApplyEnv, type CliRun } from './apply-env.js';
import { journalDowntime, maxDown, maxOverlap, startSampler, stopSampler, type Sample } from './etcd-sampler.js';
import { prioritize } from './measure-priority.js';
import { EtcdWriteLoad, acksWhileDown } from './etcd-write-load.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/ca-rotation.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const MEMBERS = HOSTS.map((h) => h.name);
interface Client {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Does a TLS handshake with member `ip` succeed with these credentials? The issuer fingerprint it served, or the error. */
function handshake(ip: string, c: Client): Promise<{ ok: boolean; issuerOk?: boolean; served?: X509Certificate; error?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port: 2379, ca: c.ca, cert: c.cert, key: c.key, timeout: 5000 }, () => {
      const served = new X509Certificate(s.getPeerX509Certificate()!.raw);
      // etcd checks the client certificate after the handshake: a request shows whether it was accepted.
      s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('end', () => resolve({ ok: /^HTTP\/1\.1 200/.test(text), served }));
      s.on('error', (e) => resolve({ ok: false, served, error: e.message }));
    });
    s.on('error', (e) => resolve({ ok: false, error: e.message }));
    s.on('timeout', () => resolve({ ok: false, error: 'timeout' }));
  });
}

/** Each host's samples within 1.5 s of `at`, for a failure's diagnosis. */
function overlap(samples: ReadonlyMap<string, readonly Sample[]>, at: number): string {
  return [...samples].map(([h, ss]) => `${h}: ${ss.filter((x) => Math.abs(x.at - at) < 1500).map((x) => `${x.at - at}:${x.state}/${x.livez}`).join(' ')}`).join('\n');
}

describe.skipIf(!can.ok)('etcd CA rotation under continuous writes (real hosts)', () => {
  let env: ApplyEnv;
  const ips = new Map<string, string>();
  const times: string[] = [];
  const ksh = (args: readonly string[]): Promise<CliRun> => runCli([...args, '-i', env.inventory], env.dir);
  const clientNow = (): Client => {
    const h = env.group.host('cp1');
    return { ca: Buffer.from(h.readFile('/opt/etcd/ssl/ca.pem')), cert: Buffer.from(h.readFile('/opt/etcd/ssl/healthcheck-client.pem')), key: Buffer.from(h.readFile('/opt/etcd/ssl/healthcheck-client-key.pem')) };
  };
  const stateCa = (): X509Certificate => new X509Certificate(readFileSync(join(env.stateDir, 'pki', 'etcd-ca.crt')));
  const trustOn = (h: string): X509Certificate[] => pemBlocks(env.group.host(h).readFile('/opt/etcd/ssl/ca.pem')).map((p) => new X509Certificate(p));
  let oldCa: X509Certificate;
  let oldClient: Client;

  /** One stage's apply under the write load; asserts and records what it saw. */
  async function applyUnderLoad(stage: number, restarts: readonly string[] = MEMBERS): Promise<void> {
    const client = clientNow();
    const priority = prioritize(env.group.hosts);
    await Promise.all(env.group.hosts.map((h) => startSampler(h, h.ip)));
    const load = new EtcdWriteLoad({ endpoints: MEMBERS.map((m) => `https://${ips.get(m)}:2379`), ...client, prefix: `/kubesmith-rotation/stage${stage}/` });
    load.start();
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    const run = await env.apply();
    const applyMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1500));
    const result = await load.stop();
    priority.undo();
    const samples = new Map<string, readonly Sample[]>();
    for (const h of env.group.hosts) samples.set(h.name, await stopSampler(h));
    const down = maxDown(samples);
    // etcd re-reads its certificate and key files on every new connection; the sampler sees the
    // port only. processDown counts members whose etcd was stopped or not yet ready to serve
    // (journals: "Stopping" -> "ready to serve client requests"), which the rollout governs.
    const downtime = new Map<string, readonly (readonly [number, number])[]>();
    for (const h of env.group.hosts) downtime.set(h.name, await journalDowntime(h, t0));
    const processDown = { max: maxOverlap(downtime) };
    if (down.max > 1) console.log(`stage ${stage}: ${down.max} members down at ${down.at}:\n${overlap(samples, down.at)}\nrun log:\n${run.log.filter((r) => Math.abs(Number(r.time) - down.at) < 3000).map((r) => `${String(r.time)} ${String(r.msg)} ${String(r.host ?? '')} ${String(r.phase ?? '')} ${String(r.message ?? r.step ?? '')}`).join('\n')}`);
    const stored = await load.readBack(`https://${ips.get('cp1')}:2379`);
    const lost = result.acked.filter((w) => stored.get(w.seq) !== w.value);
    const rollout = run.log.filter((r) => r.msg === 'rollout' && r.phase === 'etcd');
    const rolloutMs = rollout.length > 1 ? Number(rollout.at(-1)?.time) - Number(rollout[0]?.time) : 0;
    const restarted = summaryOf(run).filter((s) => s.restarted.includes('etcd.service')).map((s) => s.host).sort();
    times.push(
      `stage ${stage}: apply ${(applyMs / 1000).toFixed(1)} s (etcd rollout ${(rolloutMs / 1000).toFixed(1)} s, restarted ${restarted.join(',') || 'none'}); writes ${result.writes}, acknowledged ${result.acknowledged}, refused ${result.refused}, lost ${lost.length}; longest pause ${result.maxPauseMs} ms, p99 ${result.p99Ms} ms; members down at once ${processDown.max} by the journals, ${down.max} by the sampler (unit active, port open); ${priority.said}`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`etcd-ca rotation: stage ${stage} of 3 \\([^)]*\\) rolled out to every host`));
    expect(restarted).toEqual([...restarts].sort()); // every member picked up its new trust file or certificates
    expect(processDown.max).toBeLessThanOrEqual(1);
    expect(result.refused, result.refusedErrors.join('\n')).toBe(0);
    expect(lost).toEqual([]);
    expect(result.acknowledged).toBeGreaterThan(20);
    // The load ran through every restart: writes were acknowledged while each member was down.
    for (const a of acksWhileDown(result, downtime)) expect(a, 'writes acknowledged while the member was down').not.toMatch(/ 0$/);
    const health = JSON.parse(etcdctlFromTest(env, MEMBERS, ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
  }

  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS);
    for (const h of env.group.hosts) ips.set(h.name, h.ip);
    const first = await env.apply();
    expect(first.code, first.stderr).toBe(0);
    etcdctlFromTest(env, MEMBERS, ['put', '/kubesmith-rotation/marker', 'written before the rotation']);
    oldCa = stateCa();
    oldClient = clientNow();
  }, 900_000);
  afterAll(async () => {
    if (times.length > 0) console.log(`etcd CA rotation on 3 real members (etcd ${env?.bundle.etcdVersion}), 50 ms write load:\n  ${times.join('\n  ')}`);
    await env?.close();
  });

  it('stage 1: rotate-ca etcd; a --limit run does not count; the full apply puts old + new on every member', async () => {
    const t0 = Date.now();
    const start = await ksh(['pki', 'rotate-ca', 'etcd']);
    times.push(`pki rotate-ca etcd: ${Date.now() - t0} ms`);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/etcd-ca rotation: stage 1 of 3 .*not rolled out yet/);
    const plan = await ksh(['plan']);
    expect(plan.stdout).toMatch(/etcd-ca rotation: stage 1 of 3/);
    const early = await ksh(['pki', 'rotate-ca', 'etcd', '--continue']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('is not rolled out to every host yet');
    const partial = await env.apply(['--limit', 'cp1']);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stderr).toContain('is not counted as rolled out: this run used --limit');
    expect((await ksh(['pki', 'rotate-ca', 'etcd', '--continue'])).code).toBe(1);
    await applyUnderLoad(1, ['wk1', 'wk2']); // cp1 got its bundle from the --limit run
    for (const m of MEMBERS) expect(trustOn(m).map((c) => c.fingerprint256), m).toEqual([oldCa.fingerprint256, expect.any(String)]);
    expect(stateCa().fingerprint256).toBe(oldCa.fingerprint256); // the old CA still signs
  }, 900_000);

  it('stage 2: --continue re-issues every etcd certificate with the new CA; apply rolls them out', async () => {
    const t0 = Date.now();
    const cont = await ksh(['pki', 'rotate-ca', 'etcd', '--continue']);
    times.push(`pki rotate-ca etcd --continue (stage 2, re-issues 8 certificates): ${Date.now() - t0} ms`);
    expect(cont.code, cont.stderr).toBe(0);
    expect(cont.stdout).toMatch(/renew\s+etcd-server@cp1/);
    const check = await ksh(['pki', 'check']);
    expect(check.stdout).toMatch(/etcd-ca rotation: stage 2 of 3 .*not rolled out yet/);
    await applyUnderLoad(2);
    const newCa = stateCa();
    expect(newCa.fingerprint256).not.toBe(oldCa.fingerprint256);
    for (const m of MEMBERS) {
      expect(trustOn(m).map((c) => c.fingerprint256), m).toEqual([newCa.fingerprint256, oldCa.fingerprint256]);
      const served = (await handshake(ips.get(m) ?? '', clientNow())).served;
      expect(served?.checkIssued(newCa), `${m} serves a certificate of the new CA`).toBe(true);
    }
  }, 900_000);

  it('stage 3: --continue drops the old CA; afterwards only the new one is trusted, and data is kept', async () => {
    const cont = await ksh(['pki', 'rotate-ca', 'etcd', '--continue']);
    expect(cont.code, cont.stderr).toBe(0);
    await applyUnderLoad(3);
    const newCa = stateCa();
    const newOnly: Client = { ...clientNow(), ca: Buffer.from(newCa.toString()) };
    for (const m of MEMBERS) {
      expect(trustOn(m).map((c) => c.fingerprint256), m).toEqual([newCa.fingerprint256]);
      expect((await handshake(ips.get(m) ?? '', newOnly)).ok, `${m}: the new CA alone verifies it`).toBe(true);
      // A client certificate of the old CA (trusting both CAs itself) is refused now.
      const old = await handshake(ips.get(m) ?? '', { ...oldClient, ca: Buffer.concat([oldClient.ca, Buffer.from(newCa.toString())]) });
      expect(old.ok, `${m} still accepts a client of the old CA`).toBe(false);
    }
    expect(etcdctlFromTest(env, MEMBERS, ['get', '/kubesmith-rotation/marker', '--print-value-only']).trim()).toBe('written before the rotation');
    const check = await ksh(['pki', 'check']);
    expect(check.stdout).toMatch(/etcd-ca rotation completed on/);
    const again = await ksh(['pki', 'rotate-ca', 'etcd', '--continue']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('nothing to continue');
  }, 900_000);

  it('the next apply changes nothing and restarts nothing', async () => {
    const run = await env.apply();
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run).map((s) => [s.host, s.changed, s.restarted.length])).toEqual(MEMBERS.map((m) => [m, 0, 0]));
  }, 300_000);
});
