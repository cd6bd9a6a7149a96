/**
 * The three outputs of `pki check --remote`: the kubeadm-style table (golden), the --json shape
 * (every key, every type), and the Prometheus textfile (checked line by line by a strict parser of
 * the text exposition format, and for a whole simulated cluster: no duplicate series).
 */
import { describe, expect, it } from 'vitest';
import { prometheusText } from '../../src/pki/remote/prometheus.js';
import { REMOTE_JSON_KIND, remoteReportJson } from '../../src/pki/remote/report-json.js';
import { remoteRows } from '../../src/pki/remote/rows.js';
import { parseProbe, probeArgv } from '../../src/pki/remote/probe-script.js';
import { formatRemoteReport } from '../../src/pki/remote/table.js';
import type { RemoteCertRow } from '../../src/pki/remote/types.js';
import { fakeProbeOutput } from '../support/fake-cert-host.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { deployedHosts, kubeletCert, remoteFleet } from '../support/remote-fleet.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-04T10:00:00Z');
const at = (days: number): Date => new Date(NOW.getTime() + days * DAY);
const ROWS: RemoteCertRow[] = [
  { host: 'cp1', certificate: 'etcd-ca', stateId: 'etcd-ca', source: 'file', location: '/opt/etcd/ssl/ca.pem', status: 'in sync', expires: at(3649), residualMs: 3649 * DAY, renewWithinMs: 30 * DAY, signer: 'self-signed' },
  { host: 'cp1', certificate: 'etcd-server', stateId: 'etcd-server@cp1', source: 'file', location: '/opt/etcd/ssl/server.pem', status: 'differs from state', expires: at(20), residualMs: 20 * DAY, renewWithinMs: 30 * DAY, signer: 'etcd-ca', detail: 'deployed notAfter 2026-12-24T10:00:00.000Z, state notAfter 2027-12-04T10:00:00.000Z' },
  { host: 'cp1', certificate: 'etcd-server', stateId: 'etcd-server@cp1', source: 'served', location: '10.77.0.2:2379', status: 'served != on disk', expires: at(20), residualMs: 20 * DAY, renewWithinMs: 30 * DAY, signer: 'etcd-ca', detail: '/opt/etcd/ssl/server.pem holds another certificate' },
  { host: 'cp1', certificate: 'kube-proxy', stateId: 'kube-proxy', source: 'kubeconfig', location: '/opt/kubernetes/cfg/kube-proxy.kubeconfig [client]', status: 'in sync', expires: at(364), residualMs: 364 * DAY, renewWithinMs: 30 * DAY, signer: 'kubernetes-ca' },
  { host: 'cp1', certificate: 'kubelet-client', source: 'kubelet', location: '/var/lib/kubelet/pki/kubelet-client-current.pem', status: 'kubelet-rotated', expires: at(-1), residualMs: -DAY, renewWithinMs: 30 * DAY, signer: 'kubernetes-ca' },
  { host: 'cp1', certificate: 'apiserver', stateId: 'apiserver', source: 'served', location: '10.77.0.2:6443', status: 'not serving', detail: 'connect:errno=111' },
  { host: 'wk1', certificate: '-', source: 'host', location: '10.77.0.3', status: 'unreachable', detail: 'ssh: wk1: cannot connect to 10.77.0.3:22: connect ETIMEDOUT' },
];

describe('pki check --remote: table', () => {
  it('one table per cluster, kubeadm dates and residual times, then why each flagged row needs attention', () => {
    expect(formatRemoteReport(ROWS, { cluster: 'e2e', now: NOW, hosts: 2, unreachable: 1 })).toBe(
      [
        'CLUSTER e2e: 2 hosts checked over SSH, 1 answered, at Dec 04, 2026 10:00 UTC',
        '',
        'HOST   CERTIFICATE      WHERE                                                EXPIRES                  RESIDUAL TIME     SIGNED BY       STATUS',
        'cp1    etcd-ca          /opt/etcd/ssl/ca.pem                                 Nov 30, 2036 10:00 UTC   9y                self-signed     in sync',
        'cp1    etcd-server      /opt/etcd/ssl/server.pem                             Dec 24, 2026 10:00 UTC   20d (renew due)   etcd-ca         differs from state',
        'cp1    etcd-server      10.77.0.2:2379                                       Dec 24, 2026 10:00 UTC   20d (renew due)   etcd-ca         served != on disk',
        'cp1    kube-proxy       /opt/kubernetes/cfg/kube-proxy.kubeconfig [client]   Dec 03, 2027 10:00 UTC   364d              kubernetes-ca   in sync',
        'cp1    kubelet-client   /var/lib/kubelet/pki/kubelet-client-current.pem      Dec 03, 2026 10:00 UTC   expired           kubernetes-ca   kubelet-rotated',
        'cp1    apiserver        10.77.0.2:6443                                       -                        -                 -               not serving',
        'wk1    -                10.77.0.3                                            -                        -                 -               unreachable',
        '',
        '4 need attention:',
        '  cp1 etcd-server /opt/etcd/ssl/server.pem: differs from state, inside its renewal window (deployed notAfter 2026-12-24T10:00:00.000Z, state notAfter 2027-12-04T10:00:00.000Z)',
        '  cp1 etcd-server 10.77.0.2:2379: served != on disk, inside its renewal window (/opt/etcd/ssl/server.pem holds another certificate)',
        '  cp1 kubelet-client /var/lib/kubelet/pki/kubelet-client-current.pem: expired',
        '  wk1 - 10.77.0.3: unreachable (ssh: wk1: cannot connect to 10.77.0.3:22: connect ETIMEDOUT)',
        '',
      ].join('\n'),
    );
  });

  it('--warn-within replaces each certificate\'s renewal window', () => {
    const text = formatRemoteReport(ROWS.slice(3, 4), { cluster: 'e2e', now: NOW, hosts: 1, unreachable: 0, warnMs: 400 * DAY, warnText: '400d' });
    expect(text).toContain('364d (warning)');
    expect(text).toContain('1 needs attention:\n  cp1 kube-proxy /opt/kubernetes/cfg/kube-proxy.kubeconfig [client]: expires within 400d\n');
  });
});

describe('pki check --remote: --json', () => {
  it('has the documented shape', () => {
    const doc = remoteReportJson({ cluster: 'e2e', now: NOW, hosts: [{ host: 'cp1', address: '10.77.0.2' }, { host: 'wk1', address: '10.77.0.3' }], failures: [{ host: 'wk1', address: '10.77.0.3', error: 'ssh: refused' }], rows: ROWS });
    const j = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['kind', 'cluster', 'checkedAt', 'warnWithinSeconds', 'hosts', 'certificates', 'summary']);
    expect(j.kind).toBe(REMOTE_JSON_KIND);
    expect(j.checkedAt).toBe('2026-12-04T10:00:00.000Z');
    expect(j.warnWithinSeconds).toBeNull();
    expect(j.hosts).toEqual([{ host: 'cp1', address: '10.77.0.2', reachable: true }, { host: 'wk1', address: '10.77.0.3', reachable: false, error: 'ssh: refused' }]);
    const certs = j.certificates as Record<string, unknown>[];
    expect(certs[1]).toEqual({
      host: 'cp1',
      certificate: 'etcd-server',
      stateId: 'etcd-server@cp1',
      source: 'file',
      location: '/opt/etcd/ssl/server.pem',
      status: 'differs from state',
      expires: '2026-12-24T10:00:00.000Z',
      residualSeconds: 20 * 86_400,
      signer: 'etcd-ca',
      attention: true,
      detail: 'deployed notAfter 2026-12-24T10:00:00.000Z, state notAfter 2027-12-04T10:00:00.000Z',
    });
    expect(certs[6]).toEqual({ host: 'wk1', certificate: '-', source: 'host', location: '10.77.0.3', status: 'unreachable', attention: true, detail: 'ssh: wk1: cannot connect to 10.77.0.3:22: connect ETIMEDOUT' });
    expect(certs.map((c) => c.attention)).toEqual([false, true, true, false, true, false, true]);
    expect(j.summary).toEqual({ hosts: 2, unreachable: 1, certificates: 7, attention: 4 });
    const warned = remoteReportJson({ cluster: 'e2e', now: NOW, warnMs: 400 * DAY, hosts: [], failures: [], rows: ROWS.slice(0, 1) }) as { warnWithinSeconds: number; certificates: { attention: boolean }[] };
    expect(warned.warnWithinSeconds).toBe(400 * 86_400);
    expect(warned.certificates[0]?.attention).toBe(false); // 3649 days
  });
});

/**
 * A strict reader of the Prometheus text exposition format 0.0.4 as node_exporter's textfile
 * collector accepts it: HELP/TYPE once per metric and before its samples, a metric's samples
 * together, valid names, label values with only \\ \" \n escapes, no timestamps, no duplicate series.
 */
function parsePrometheus(text: string): Map<string, { type: string; samples: Map<string, number> }> {
  if (!text.endsWith('\n')) throw new Error('must end with a newline');
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  const sample = new RegExp(`^(${NAME})(\\{(?:${LABEL})(?:,${LABEL})*\\})? (-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?)$`);
  const metrics = new Map<string, { type: string; samples: Map<string, number>; done: boolean }>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) \\S.*$`).exec(line))) {
      if (metrics.has(m[1] as string)) throw new Error(`second HELP for ${m[1]}`);
      metrics.set(m[1] as string, { type: '', samples: new Map(), done: false });
      if (current) (metrics.get(current) as { done: boolean }).done = true;
      current = m[1];
    } else if ((m = new RegExp(`^# TYPE (${NAME}) (gauge|counter|untyped)$`).exec(line))) {
      const e = metrics.get(m[1] as string);
      if (!e || m[1] !== current || e.type !== '' || e.samples.size > 0) throw new Error(`TYPE out of place: ${line}`);
      e.type = m[2] as string;
    } else if ((m = sample.exec(line))) {
      const e = metrics.get(m[1] as string);
      if (!e || m[1] !== current || e.type === '' || e.done) throw new Error(`sample out of place: ${line}`);
      const series = m[2] ?? '';
      if (e.samples.has(series)) throw new Error(`duplicate series: ${line}`);
      e.samples.set(series, Number(m[3]));
    } else {
      throw new Error(`not a valid line: ${JSON.stringify(line)}`);
    }
  }
  return metrics;
}

describe('pki check --remote: --prometheus', () => {
  it('writes valid textfile-collector metrics with escaped labels', () => {
    const odd: RemoteCertRow = { ...ROWS[0], location: '/opt/odd "dir"\\x\nname.pem' } as RemoteCertRow;
    const text = prometheusText('e2e', NOW, ['cp1', 'wk1'], new Set(['wk1']), [...ROWS, odd]);
    const m = parsePrometheus(text);
    expect([...m.keys()]).toEqual(['kubesmith_certificate_expiry_seconds', 'kubesmith_certificate_in_sync', 'kubesmith_certificate_check_up', 'kubesmith_certificate_check_timestamp_seconds']);
    const expiry = m.get('kubesmith_certificate_expiry_seconds')?.samples;
    expect(expiry?.get('{cluster="e2e",host="cp1",certificate="etcd-server",source="served",location="10.77.0.2:2379"}')).toBe(at(20).getTime() / 1000);
    expect(expiry?.get('{cluster="e2e",host="cp1",certificate="etcd-ca",source="file",location="/opt/odd \\"dir\\"\\\\x\\nname.pem"}')).toBe(at(3649).getTime() / 1000);
    expect(expiry?.size).toBe(6); // every row with an expiry; not the endpoint that is down or the unreachable host
    const sync = m.get('kubesmith_certificate_in_sync')?.samples;
    expect([...(sync?.values() ?? [])]).toEqual([1, 0, 0, 1, 1]); // compared places only: not the kubelet's own, not a down endpoint
    expect([...(m.get('kubesmith_certificate_check_up')?.samples ?? [])]).toEqual([['{cluster="e2e",host="cp1"}', 1], ['{cluster="e2e",host="wk1"}', 0]]);
    expect(m.get('kubesmith_certificate_check_timestamp_seconds')?.samples.get('{cluster="e2e"}')).toBe(NOW.getTime() / 1000);
  });

  it('the strict parser refuses what the collector refuses', () => {
    const ok = '# HELP a x\n# TYPE a gauge\na{b="c"} 1\n';
    expect(() => parsePrometheus(ok)).not.toThrow();
    for (const bad of [ok.slice(0, -1), `${ok}a{b="c"} 2\n`, '# HELP a x\na 1\n', '# HELP a x\n# TYPE a gauge\na{b="c"} 1 1700000000\n', '# HELP a x\n# TYPE a gauge\na{b="\\t"} 1\n', `${ok}# HELP d y\n# TYPE d gauge\nd 1\na{b="e"} 1\n`]) {
      expect(() => parsePrometheus(bad), bad).toThrow();
    }
  });

  it('a whole simulated cluster: one series per (host, certificate, place)', async () => {
    const fleet = await remoteFleet(exampleInventory());
    const hosts = await deployedHosts(fleet, (h, k) => kubeletCert(fleet, h, k));
    const answers = fleet.targets.map((t) => ({ host: t.host, observation: parseProbe(fakeProbeOutput(probeArgv(t.request), hosts.get(t.host)!), t.request) }));
    const { rows } = remoteRows(fleet.targets, answers, new Map([['kubernetes-ca', fleet.state.pairs.get('kubernetes-ca')?.certPem ?? '']]), fleet.issuedAt);
    const m = parsePrometheus(prometheusText('demo', fleet.issuedAt, fleet.targets.map((t) => t.host), new Set(), rows));
    expect(m.get('kubesmith_certificate_expiry_seconds')?.samples.size).toBe(rows.length);
    expect([...(m.get('kubesmith_certificate_in_sync')?.samples.values() ?? [])].every((v) => v === 1)).toBe(true);
  });
});
