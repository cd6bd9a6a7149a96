/**
 * #13 item 2, on the hosts' side: apply's preflight reads the CA certificates and sa.pub on every
 * host in gather-facts' one round trip and refuses, before any write, a state directory whose CA
 * differs from the hosts' ("this state directory belongs to another cluster"). The probe script
 * runs through a real `sh`; the run goes through the real runner and phases on in-memory hosts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPhases, type Transport } from '../../../src/deploy/runner.js';
import { APPLY_PHASES } from '../../../src/deploy/phases/index.js';
import { factsScript, parseFacts } from '../../../src/deploy/phases/_facts.js';
import { trustPaths } from '../../../src/deploy/phases/_identity-checks.js';
import { preflightProblems } from '../../../src/deploy/phases/preflight.js';
import { certFingerprint } from '../../../src/pki/identity.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { PhaseError } from '../../../src/shared/errors.js';
import { FakeHost } from '../../support/fake-host.js';
import { pkiFixture } from '../../support/pki-fixture.js';
import { tickingClock } from '../_plan.js';
import { realPlan } from './_real-plan.js';

const FACTS = (name: string): string =>
  `@os\nID=debian\nVERSION_ID="12"\n@arch\nx86_64\n@systemd\nsystemd 252\n@container\n@time\n${1_700_000_000_000}\n@swap\n@listen\n@modules\noverlay\nbr_netfilter\nip_vs\nip_vs_rr\nip_vs_wrr\nip_vs_sh\nnf_conntrack\nnf_tables\n@df\n/dev/sda 1 1 99999999 1% /\n@firewalld\ninactive\n@selinux\n@hostname\n${name}\n@hosts\n127.0.0.1 localhost\n@ifaces\n@osfiles\n/usr/sbin/nginx\n/usr/lib/nginx/modules/ngx_stream_module.so\n`;

/** Answers the facts probe like a host would: canned facts, plus the trust files it really holds. */
function fleet(plan: ClusterPlan, seed: (name: string, f: FakeHost) => void): Map<string, FakeHost> {
  return new Map(
    plan.hosts.map((h) => {
      const f = new FakeHost(h.host.name);
      seed(h.host.name, f);
      f.on(
        (a) => a[0] === 'sh' && a[2]?.startsWith('echo @os') === true,
        (a) => {
          const list = /for f in ((?:'[^']*' ?)+); do/.exec(a[2] ?? '')?.[1] ?? '';
          const paths = [...list.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
          const found = paths.flatMap((p) => (f.text(p) !== undefined ? [`#kubesmith-file ${p}\n${f.text(p)}`] : []));
          return { exitCode: 0, stdout: `${FACTS(h.host.name)}@pkifiles\n${found.join('\n')}\n`, stderr: '' };
        },
      );
      return [h.host.name, f] as const;
    }),
  );
}

async function run(plan: ClusterPlan, hosts: Map<string, FakeHost>): Promise<unknown> {
  const transport: Transport = { connect: async (h) => hosts.get(h.name) as FakeHost, lock: async () => ({ release: async () => undefined }) };
  return runPhases({ plan, phases: APPLY_PHASES, dryRun: false, transport, emit: () => undefined, signal: new AbortController().signal, clock: tickingClock() }).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the trust-file probe (real sh)', () => {
  it('reads back exactly the files that exist, whatever their names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-trust-'));
    mkdirSync(join(dir, "it's"));
    const a = join(dir, "it's", 'ca.pem');
    writeFileSync(a, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'sa.pub'), 'no newline at the end');
    const out = execFileSync('sh', ['-c', factsScript([a, join(dir, 'missing.pem'), join(dir, 'sa.pub')])], { encoding: 'utf8' });
    const files = parseFacts(out, Date.now()).pkiFiles;
    expect([...(files?.keys() ?? [])]).toEqual([a, join(dir, 'sa.pub')]);
    expect(files?.get(a)?.trim()).toBe('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----');
    expect(files?.get(join(dir, 'sa.pub'))?.trim()).toBe('no newline at the end');
  });

  it('probes every CA and sa.pub path kubesmith installs, and kubeadm\'s', async () => {
    const paths = trustPaths(await realPlan()).map((t) => `${t.name} ${t.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'kubernetes-ca /opt/kubernetes/ssl/ca.pem',
        'etcd-ca /opt/etcd/ssl/ca.pem',
        'etcd-ca /opt/kubernetes/ssl/etcd-ca.pem',
        'front-proxy-ca /opt/kubernetes/ssl/front-proxy-ca.pem',
        'service-account /opt/kubernetes/ssl/sa.pub',
        'kubernetes-ca /etc/kubernetes/pki/ca.crt',
      ]),
    );
  });
});

describe('preflight refuses a state directory that belongs to another cluster', () => {
  it('stops the run before any write on every host, naming host, path and both fingerprints', async () => {
    const plan = await realPlan();
    const other = await pkiFixture(plan.inventory, { seed: 'another cluster' });
    const theirs = other.certs.get('kubernetes-ca')!.certPem;
    const hosts = fleet(plan, (name, f) => void (name === 'node01' && f.seed('/opt/kubernetes/ssl/ca.pem', theirs)));
    const err = await run(plan, hosts);
    expect(err).toBeInstanceOf(PhaseError);
    const text = (err as PhaseError).detail.join('\n');
    const ours = certFingerprint(plan.pki.certs.get('kubernetes-ca')!.certPem);
    expect((err as PhaseError).failures.map((f) => f.host)).toEqual(['node01']);
    expect(text).toContain(`/opt/kubernetes/ssl/ca.pem holds another kubernetes-ca than this state directory: this state directory belongs to another cluster (host ${certFingerprint(theirs)}, state ${ours})`);
    expect(text).toContain('nothing was written. If -i names the wrong inventory');
    for (const f of hosts.values()) expect(f.mutations()).toEqual([]);
  });

  it('refuses an unreadable trust file and a kubeadm cluster\'s CA; accepts its own CA', async () => {
    const plan = await realPlan();
    const other = await pkiFixture(plan.inventory, { seed: 'kubeadm' });
    const hosts = fleet(plan, (name, f) => {
      f.seed('/opt/kubernetes/ssl/ca.pem', plan.pki.certs.get('kubernetes-ca')!.certPem); // its own: fine
      if (name === 'master02') f.seed('/etc/kubernetes/pki/etcd/ca.crt', other.certs.get('etcd-ca')!.certPem);
      if (name === 'node02') f.seed('/opt/kubernetes/ssl/sa.pub', 'garbage');
    });
    const err = (await run(plan, hosts)) as PhaseError;
    expect(err.failures.map((x) => x.host).sort()).toEqual(['master02', 'node02']);
    expect(err.detail.join('\n')).toMatch(/master02: .*\/etc\/kubernetes\/pki\/etcd\/ca\.crt holds another etcd-ca than this state directory/);
    expect(err.detail.join('\n')).toMatch(/node02: .*\/opt\/kubernetes\/ssl\/sa\.pub is not a readable public key/);
    for (const f of hosts.values()) expect(f.mutations()).toEqual([]);
  });

  it('accepts, with a warning, a CA the operator replaced with `pki generate --new-ca`', async () => {
    const base = await realPlan();
    const old = (await pkiFixture(base.inventory, { seed: 'before rotation' })).certs.get('front-proxy-ca')!.certPem;
    const replaced = [{ name: 'front-proxy-ca' as const, fingerprint: certFingerprint(old), at: '2026-06-01T10:20:30.000Z', backup: 'backup/x' }];
    const plan: ClusterPlan = { ...base, pki: { ...base.pki, identity: { cluster: 'demo', createdAt: '2026-01-01T00:00:00.000Z', fingerprints: {}, replaced } } };
    const facts = { ...parseFacts(FACTS('master01'), 0), pkiFiles: new Map([['/opt/kubernetes/ssl/front-proxy-ca.pem', old]]) };
    const host = plan.hosts.find((h) => h.host.name === 'master01')!;
    const problems = preflightProblems({ plan, host, facts, activeHosts: ['master01'] }).filter((p) => p.message.includes('front-proxy'));
    expect(problems).toEqual([{ severity: 'warning', message: '/opt/kubernetes/ssl/front-proxy-ca.pem holds the front-proxy-ca replaced by `pki generate --new-ca front-proxy-ca` on 2026-06-01T10:20:30.000Z; this run installs the new one' }]);
    const unrecorded = preflightProblems({ plan: base, host, facts, activeHosts: ['master01'] }).filter((p) => p.message.includes('front-proxy'));
    expect(unrecorded.map((p) => p.severity)).toEqual(['error']);
  });
});
