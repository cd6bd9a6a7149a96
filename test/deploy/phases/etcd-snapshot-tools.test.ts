/**
 * The snapshot inspection script and its parser against the real etcd tools (3.5.30 from
 * /opt/kubesmith-test/etcd): a real single-member etcd on loopback (plain HTTP: TLS is not what is
 * tested here), a real `etcdctl snapshot save`, then snapshotInspectArgv's script run locally with
 * etcdutl (3.6+ plans) and with etcdctl (3.5 plans, which print a deprecation warning), and a
 * damaged copy, which must not verify. (The restore command line runs for real in
 * test/hosts/etcd-backup-restore.test.ts.)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { parseSnapshotInspect, snapshotInspectArgv } from '../../../src/deploy/phases/_etcd-backup.js';
import { ETCD_BIN, ETCDCTL_BIN, ETCDUTL_BIN } from '../../support/etcd-bin.js';
import { freePort } from '../../support/free-port.js';

const fakePlan = (version: string): ClusterPlan => ({ inventory: { paths: { etcd: '/opt/etcd' }, cluster: { etcdVersion: version } } }) as unknown as ClusterPlan;
const real = ETCDUTL_BIN !== undefined;

/** Runs the inspection script locally with `tool` in place of the plan's path. */
function inspect(path: string, tool: string, version: string): string {
  const argv = [...snapshotInspectArgv(fakePlan(version), path)];
  expect(argv.at(-1)).toBe(version.startsWith('v3.5') ? '/opt/etcd/bin/etcdctl' : '/opt/etcd/bin/etcdutl');
  argv[argv.length - 1] = tool;
  return execFileSync(argv[0] ?? 'sh', argv.slice(1), { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
}

describe.skipIf(!real)('snapshot inspection with the real etcd tools', () => {
  let etcd: ChildProcess;
  let dir: string;
  let snap: string;
  let endpoint: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ks-etcd-snap-'));
    const [c, p] = [await freePort(), await freePort()];
    endpoint = `http://127.0.0.1:${c}`;
    etcd = spawn(ETCD_BIN, [`--data-dir=${join(dir, 'data')}`, `--listen-client-urls=${endpoint}`, `--advertise-client-urls=${endpoint}`, `--listen-peer-urls=http://127.0.0.1:${p}`, `--initial-advertise-peer-urls=http://127.0.0.1:${p}`, `--initial-cluster=default=http://127.0.0.1:${p}`], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync(ETCDCTL_BIN, [`--endpoints=${endpoint}`, 'put', `k${i}`, `v${i}`], { stdio: 'pipe', env: { ...process.env, ETCDCTL_API: '3' } });
      } catch {
        if (i === 0) await new Promise((r) => setTimeout(r, 200));
        i -= 1;
      }
    }
    snap = join(dir, 'snapshot.db');
    execFileSync(ETCDCTL_BIN, [`--endpoints=${endpoint}`, 'snapshot', 'save', snap], { stdio: 'pipe', env: { ...process.env, ETCDCTL_API: '3' } });
  }, 60_000);
  afterAll(() => etcd?.kill('SIGKILL'));

  it('etcdutl (3.6+) and etcdctl (3.5) report the same verified snapshot: size, revision 101, total keys (bolt keys: the 100 puts plus etcd\'s own)', () => {
    const byUtl = parseSnapshotInspect(snap, inspect(snap, ETCDUTL_BIN as string, 'v3.6.5'));
    const byCtl = parseSnapshotInspect(snap, inspect(snap, ETCDCTL_BIN, 'v3.5.30'));
    expect(byUtl).toMatchObject({ revision: 101, size: readFileSync(snap).length });
    expect((byUtl as { totalKey: number }).totalKey).toBeGreaterThanOrEqual(100);
    expect(byCtl).toEqual(byUtl);
  });
  it('a damaged snapshot does not verify, and an absent one is absent', () => {
    const bad = join(dir, 'bad.db');
    const bytes = readFileSync(snap);
    writeFileSync(bad, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(parseSnapshotInspect(bad, inspect(bad, ETCDUTL_BIN as string, 'v3.6.5'))).toMatchObject({ error: expect.stringMatching(/^snapshot status failed/) });
    expect(parseSnapshotInspect(join(dir, 'none.db'), inspect(join(dir, 'none.db'), ETCDUTL_BIN as string, 'v3.6.5'))).toBeUndefined();
  });
});
