/**
 * The join scripts of _etcd-join.ts run by this machine's sh and awk against a stand-in etcdctl
 * that answers `member list -w simple` from a file and records what it was asked: the refusals a
 * real cluster rarely shows on demand (a stray member, a name on another URL, a data directory of
 * another cluster, an interrupted add). Joining a real running cluster is proven on real hosts with
 * real etcd (test/hosts/etcd-add-member.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinSteps } from '../../../src/deploy/phases/_etcd-join.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import type { ClusterIdentity } from '../../../src/pki/identity.js';
import { aHost, exampleInventory } from '../../support/inventory-builder.js';
import { realPlan } from './_real-plan.js';

const tmp = mkdtempSync(join(tmpdir(), 'ks-join-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const three = 'm1=https://10.0.0.1:2380,m2=https://10.0.0.2:2380,m3=https://10.0.0.3:2380';
const STUB = `#!/bin/sh
for a in "$@"; do case "$a" in --*) ;; *) set -- "$@" "$a" ;; esac; shift; done
echo "$*" >> "$STUB_LOG"
case "$1 $2" in
  "member list") cat "$STUB_LIST" ;;
  "member add") if [ -n "$STUB_ADD_REFUSE" ] && [ ! -e "$STUB_ADD_REFUSE" ]; then touch "$STUB_ADD_REFUSE"; echo "Error: etcdserver: unhealthy cluster" >&2; exit 1; fi; echo "Member 1234 added to cluster" ;;
  "member promote") [ -e "$STUB_PROMOTE_OK" ] || { echo "can only promote a learner member which is in sync with leader" >&2; touch "$STUB_PROMOTE_OK"; exit 1; }; echo "Member $3 promoted" ;;
esac`;

let plan: ClusterPlan;
beforeAll(async () => {
  const inv = exampleInventory({ hosts: ['1', '2', '3', '4'].map((i) => aHost(`m${i}`, `10.0.0.${i}`, [i === '1' ? 'control-plane' : 'worker', 'etcd'])) });
  const identity: ClusterIdentity = { cluster: 'demo', createdAt: 'x', fingerprints: {}, replaced: [], etcdMembers: Object.fromEntries(['m1', 'm2', 'm3'].map((m) => [m, { initialClusterState: 'new', initialCluster: three }])) };
  plan = await realPlan(inv, (b) => ({ ...b, identity }));
  writeFileSync(join(tmp, 'etcdctl'), STUB);
  chmodSync(join(tmp, 'etcdctl'), 0o755);
});

/** Runs the add (or promote) step of m4 with the stand-in; `list` is what `member list` answers. */
function run(which: 'before' | 'after', list: string, opts: { dataDir?: string; refuseAddOnce?: boolean } = {}) {
  const m4 = plan.hosts.find((h) => h.host.name === 'm4');
  if (!m4) throw new Error('no m4');
  const step = joinSteps(plan, m4)[which][0];
  if (step?.kind !== 'exec') throw new Error('no step');
  const data = opts.dataDir ?? join(tmp, 'empty-data');
  const argv = step.argv.map((a) => (a.endsWith('/bin/etcdctl') ? join(tmp, 'etcdctl') : a === '/var/lib/etcd' ? data : a));
  writeFileSync(join(tmp, 'list'), list);
  writeFileSync(join(tmp, 'log'), '');
  rmSync(join(tmp, 'promoted'), { force: true });
  rmSync(join(tmp, 'add-refused'), { force: true });
  const r = spawnSync(argv[0] ?? 'sh', argv.slice(1), { encoding: 'utf8', env: { ...process.env, STUB_LIST: join(tmp, 'list'), STUB_LOG: join(tmp, 'log'), STUB_PROMOTE_OK: join(tmp, 'promoted'), STUB_ADD_REFUSE: opts.refuseAddOnce ? join(tmp, 'add-refused') : '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, asked: readFileSync(join(tmp, 'log'), 'utf8').trim().split('\n') };
}

const row = (id: string, name: string, ip: string, learner = false) => `${id}, ${name ? 'started' : 'unstarted'}, ${name}, https://${ip}:2380, ${name ? `https://${ip}:2379` : ''}, ${learner}\n`;
const running = row('a1', 'm1', '10.0.0.1') + row('a2', 'm2', '10.0.0.2') + row('a3', 'm3', '10.0.0.3');

describe('member add', () => {
  it('adds the joiner as a learner at its peer URL through the running members', () => {
    const r = run('before', running);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual(['member list -w simple', 'member add m4']);
  });

  it('asks again when etcd refuses the addition as "unhealthy cluster" (its strict check, seconds after a start)', () => {
    const r = run('before', running, { refuseAddOnce: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Member 1234 added');
    expect(r.asked).toEqual(['member list -w simple', 'member add m4', 'member add m4']);
  });

  it('an interrupted run: the cluster lists it already (unstarted, by its URL) -> nothing added', () => {
    const r = run('before', running + row('a4', '', '10.0.0.4', true));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^already a member: a4, unstarted/);
    expect(r.asked).toEqual(['member list -w simple']);
  });

  it('refuses a member the inventory does not name, a name on another URL, and a data directory of another cluster', () => {
    const stray = run('before', running + row('a9', 'old', '10.0.0.9'));
    expect(stray.code).toBe(3);
    expect(stray.stderr).toMatch(/the etcd cluster has members the inventory does not name: old \(https:\/\/10\.0\.0\.9:2380\); remove them first/);
    const renamed = run('before', running.replace('m3', 'm4').replace('m3', 'm4'));
    expect(renamed.code).toBe(3);
    const data = join(tmp, 'old-data');
    mkdirSync(join(data, 'member'), { recursive: true });
    const other = run('before', running, { dataDir: data });
    expect(other.code).toBe(3);
    expect(other.stderr).toContain(`${data}/member exists on this host but the cluster does not list m4: it belongs to another cluster; move it away`);
    for (const r of [stray, renamed, other]) expect(r.asked).toEqual(['member list -w simple']);
    expect(existsSync(join(data, 'member'))).toBe(true);
  });
});

describe('member promote', () => {
  it('retries until the leader lets the learner in, then stops; a voting member is left alone', () => {
    const r = run('after', running + row('a4', 'm4', '10.0.0.4', true));
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual(['member list -w simple', 'member promote a4', 'member list -w simple', 'member promote a4']);
    const done = run('after', running + row('a4', 'm4', '10.0.0.4', false));
    expect(done.code).toBe(0);
    expect(done.asked).toEqual(['member list -w simple']);
  });
});
