/**
 * #13 item 15 on real hosts: sshd with UsePAM + pam_systemd opens a connection's session only once
 * logind has started root's user manager (user@0.service), and answers nothing (keepalives
 * included) until then. On the third host that start is made slow with a drop-in that holds
 * user@0.service's ExecStartPre while a file exists (at most N seconds), and root's user is
 * terminated so the next SSH connection starts it again.
 *  - never answers (held): apply stops at connect before anything is written on ANY host, naming
 *    pam_systemd and `loginctl enable-linger` (KUBESMITH_SSH_SESSION_TIMEOUT keeps this one short);
 *  - slow (45 s, longer than ssh2's 40 s keepalive budget, so one connection is dropped and the
 *    next one waits for the same start): lock and apply succeed with the default 90 s budget, with
 *    progress lines, and etcd has all three members.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBootHosts, type TestHost } from '../support/test-hosts.js';
import { etcdctlFromTest, setupApplyEnv, type ApplyEnv } from './apply-env.js';

const can = canBootHosts();
if (!can.ok) console.log(`test/hosts/slow-session.test.ts skipped: ${can.reason}`);
const HOSTS = [
  { name: 'cp1', roles: ['etcd', 'control-plane'] },
  { name: 'wk1', roles: ['etcd', 'worker'] },
  { name: 'wk2', roles: ['etcd', 'worker'] },
];
const MEMBERS = HOSTS.map((h) => h.name);
const HOLD = '/etc/kubesmith-test-hold-user-manager';
const DROPIN = '/etc/systemd/system/user@0.service.d/kubesmith-test-slow.conf';
// `$$` is systemd's escape for `$` in Exec lines.
const UNIT = `[Service]\nTimeoutStartSec=infinity\nExecStartPre=/bin/sh -c 'n=0; while [ -e ${HOLD} ] && [ $$n -lt $$(cat ${HOLD}) ]; do sleep 1; n=$$((n+1)); done'\n`;

/** Makes the next session on `h` wait up to `seconds` for user@0.service (it is stopped first). */
async function slowUserManager(h: TestHost, seconds: number): Promise<void> {
  mkdirSync(dirname(h.path(DROPIN)), { recursive: true });
  writeFileSync(h.path(DROPIN), UNIT);
  writeFileSync(h.path(HOLD), `${seconds}\n`);
  // terminate-user from outside the session (a transient system service), once this ssh has left.
  const r = await h.ssh(`systemctl daemon-reload && systemd-run --quiet --no-block sh -c 'sleep 1; loginctl terminate-user root'`);
  expect(r.code, r.stderr).toBe(0);
  await new Promise((res) => setTimeout(res, 4_000));
}

describe.skipIf(!can.ok)('apply when a host is slow to open SSH sessions (pam_systemd)', () => {
  let env: ApplyEnv;
  beforeAll(async () => {
    env = await setupApplyEnv(HOSTS);
  });
  afterAll(async () => {
    delete process.env.KUBESMITH_SSH_SESSION_TIMEOUT;
    if (env) rmSync(env.group.host('wk2').path(HOLD), { force: true });
    await env?.close();
  });

  it('a host that never opens a session stops the run at connect: nothing written anywhere, cause and fix named', async () => {
    const wk2 = env.group.host('wk2');
    await slowUserManager(wk2, 100_000);
    process.env.KUBESMITH_SSH_SESSION_TIMEOUT = '20';
    const t0 = Date.now();
    const run = await env.apply();
    delete process.env.KUBESMITH_SSH_SESSION_TIMEOUT;
    rmSync(wk2.path(HOLD), { force: true }); // the user manager starts; wk2 answers again
    console.log(run.stderr);
    expect(run.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(run.stderr).toMatch(/wk2: FAILED at connect: wk2: root@[\d.]+: the connection was accepted, but no session opened within 20 s/);
    expect(run.stderr).toMatch(/pam_systemd waiting for the user manager user@0\.service/);
    expect(run.stderr).toMatch(/loginctl enable-linger root/);
    expect(run.stderr).toMatch(/nothing was written to any host/);
    expect(run.stderr).not.toContain('==> Install etcd');
    // Not a file of the cluster on any host, and no etcd member running (it would be 2 of 3).
    for (const h of env.group.hosts) {
      expect(existsSync(h.path('/opt/etcd')), `${h.name}: /opt/etcd`).toBe(false);
      expect(existsSync(h.path('/etc/systemd/system/etcd.service')), `${h.name}: etcd.service`).toBe(false);
      expect(existsSync(h.path('/var/lib/kubesmith')), `${h.name}: /var/lib/kubesmith`).toBe(false);
    }
  });

  it('a host whose user manager takes 45 s: the lock and apply succeed within the default budget, with progress lines', async () => {
    const wk2 = env.group.host('wk2');
    await slowUserManager(wk2, 45);
    const t0 = Date.now();
    const run = await env.apply();
    console.log(run.stderr);
    expect(run.code, run.stderr).toBe(0);
    expect(Date.now() - t0).toBeGreaterThan(40_000); // the stall really happened
    expect(run.stderr).toMatch(/wk2: warning: waiting for wk2 to open a session \(pam_systemd starting user@0\.service\?\) 15 s/);
    expect(run.stderr).not.toMatch(/cp1: warning: waiting|wk1: warning: waiting/);
    const health = JSON.parse(etcdctlFromTest(env, MEMBERS, ['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
    const list = etcdctlFromTest(env, MEMBERS, ['member', 'list']);
    expect(list.split('\n').filter(Boolean).map((l) => l.split(', ')[2]).sort()).toEqual(MEMBERS);
  });
});
