/**
 * The etcd report's one curl process (src/deploy/phases/_etcd-report-probe.ts): the parser on
 * answers in etcd's formats as curl prints them with the report's -w line (3.5.30's /health and
 * gRPC-gateway status; a refused connection, whose message comes on stderr; a member without a
 * leader; a 503 /readyz). The live runs are in test/status/etcd-livez.test.ts against a real
 * 3-member etcd.
 */
import { describe, expect, it } from 'vitest';
import { parseReportProbe, reportProbeArgv, reportRequests } from '../../../src/deploy/phases/_etcd-report-probe.js';

const A = 'https://10.0.0.1:2379';
const B = 'https://10.0.0.2:2379';
const END = '--- kubesmith etcd end';
const status = (id: string, leader: string): string =>
  `{"header":{"cluster_id":"11627137182714144419", "member_id":"${id}", "revision":"735", "raft_term":"2"}, "version":"3.5.30", "dbSize":"737280", "leader":"${leader}", "raftIndex":"876", "raftTerm":"2", "raftAppliedIndex":"876", "dbSizeInUse":"737280"}`;

describe('parseReportProbe', () => {
  it('etcd 3.5: /health and the gateway status; 64-bit ids kept exact', () => {
    const stdout = [
      '{"health":"true","reason":""}', `${END} 200 0.016982`,
      '{"health":"false","reason":"RAFT NO LEADER"}', `${END} 503 0.012811`,
      status('15639901845629432343', '15639901845629432343'), `${END} 200 0.018428`,
      status('15639901845629432344', '0'), `${END} 200 0.016871`, '',
    ].join('\n');
    const got = parseReportProbe({ stdout, stderr: '' }, [A, B], false);
    expect(got.health).toEqual([
      { endpoint: A, health: true, took: '17ms' },
      { endpoint: B, health: false, took: '12.8ms', error: 'health: RAFT NO LEADER' },
    ]);
    expect(got.status.get(A)).toEqual({ memberId: '15639901845629432343', leader: '15639901845629432343', version: '3.5.30', dbSize: 737280, raftTerm: 2, raftIndex: 876 });
    expect(got.status.get(B)?.memberId).toBe('15639901845629432344');
  });

  it('refused connections: each failed transfer takes curl\'s message from stderr in order; no status', () => {
    const stdout = ['', `${END} 000 0.000412`, '{"health":"true","reason":""}', `${END} 200 0.01`, '', `${END} 000 0.000390`, status('2', '2'), `${END} 200 0.01`, ''].join('\n');
    const stderr = ['curl: (7) Failed to connect to 10.0.0.1 port 2379 after 0 ms: Couldn\'t connect to server', 'curl: (7) Failed to connect to 10.0.0.1 port 2379 after 1 ms: Couldn\'t connect to server', ''].join('\n');
    const got = parseReportProbe({ stdout, stderr }, [A, B], false);
    expect(got.health[0]).toEqual({ endpoint: A, health: false, took: '0.4ms', error: 'health: curl: (7) Failed to connect to 10.0.0.1 port 2379 after 0 ms: Couldn\'t connect to server' });
    expect(got.health[1]).toMatchObject({ endpoint: B, health: true });
    expect([...got.status.keys()]).toEqual([B]);
  });

  it('etcd 3.6+: /livez and /readyz name the failed check; the status does not disturb them', () => {
    const stdout = [
      'ok', `${END} 200 0.004113`,
      '[+]data_corruption ok', '[-]linearizable_read failed: etcdserver: leader changed', '', `${END} 503 2.001234`,
      status('1', '2'), `${END} 200 0.01`, '',
    ].join('\n');
    const got = parseReportProbe({ stdout, stderr: '' }, [A], true);
    expect(got.health).toEqual([{ endpoint: A, health: false, took: '2001.2ms', error: 'readyz: linearizable_read failed: etcdserver: leader changed' }]);
    expect(got.status.get(A)?.leader).toBe('2');
  });

  it('a status answer that is not the gateway\'s (404, no member id) is no status; missing answers are missing', () => {
    const stdout = ['{"health":"true"}', `${END} 200 0.01`, '{"health":"true"}', `${END} 200 0.01`, '404 page not found', `${END} 404 0.01`, '{"version":"3.5.30"}', `${END} 200 0.01`].join('\n');
    expect(parseReportProbe({ stdout, stderr: '' }, [A, B], false).status.size).toBe(0);
    expect(parseReportProbe({ stdout: `{"health":"true"}\n${END} 200 0.01\n`, stderr: '' }, [A, B], false).health.map((h) => h.endpoint)).toEqual([A]);
  });

  it('one curl: GETs for health, then POSTs for status, credentials as arguments', () => {
    expect(reportRequests([A, B], true).map((r) => r.url)).toEqual([`${A}/livez?verbose`, `${A}/readyz?verbose`, `${B}/livez?verbose`, `${B}/readyz?verbose`, `${A}/v3/maintenance/status`, `${B}/v3/maintenance/status`]);
    const argv = reportProbeArgv({ cacert: '/opt/etcd/ssl/ca.pem', cert: '/c.pem', key: '/k.pem' }, [A, B], false);
    expect(argv.slice(0, 4)).toEqual(['sh', '-c', 'command -v curl >/dev/null 2>&1 || exit 127; exec curl "$@"', 'etcd-report']);
    const next = argv.indexOf('--next');
    expect(argv.slice(0, next).filter((a) => a.startsWith('https://'))).toEqual([`${A}/health`, `${B}/health`]);
    expect(argv.slice(next)).toEqual(expect.arrayContaining(['--cacert', '/opt/etcd/ssl/ca.pem', '--cert', '/c.pem', '--key', '/k.pem', '-X', 'POST', `${A}/v3/maintenance/status`]));
  });
});
