/** SAN sources resolved against the inventory (the apiserver and etcd certificates' name lists). */
import { describe, expect, it } from 'vitest';
import { certSpecs } from '../../src/pki/specs.js';
import { resolveSans, sanDiff } from '../../src/pki/sans.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { shippedCatalogue } from '../support/pki-fixture.js';

const base = exampleInventory();
const spec = (inv: typeof base, id: string) => certSpecs(shippedCatalogue(), inv).find((s) => s.id === id)!;

describe('SAN sources', () => {
  it('gives the apiserver the kubernetes Service names and IP, every control-plane host, loopback', () => {
    expect(spec(base, 'apiserver').sans).toEqual({
      dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', 'master01', 'master02'],
      ips: ['10.0.0.1', '127.0.0.1', '192.168.80.10', '192.168.80.20'],
    });
  });

  it('adds the VIP (ha: vip), extraSANs sorted into names and IPs, and follows clusterDomain/serviceCIDR', () => {
    const inv = {
      ...base,
      cluster: { ...base.cluster, serviceCIDR: '10.96.0.0/12', clusterDomain: 'corp.example', apiServer: { ...base.cluster.apiServer, ha: 'vip' as const, vip: '192.168.80.88', extraSANs: ['api.corp.example', '203.0.113.7', 'FD00::0001'] } },
    };
    const s = spec(inv, 'apiserver').sans;
    expect(s.ips).toEqual(['10.96.0.1', '127.0.0.1', '192.168.80.10', '192.168.80.20', '192.168.80.88', '203.0.113.7', 'fd00::1']);
    expect(s.dns).toContain('kubernetes.default.svc.corp.example');
    expect(s.dns).toContain('api.corp.example');
  });

  it('does not add a VIP when ha is not vip', () => {
    const inv = { ...base, cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, vip: '192.168.80.88' } } };
    expect(spec(inv, 'apiserver').sans.ips).not.toContain('192.168.80.88');
  });

  it('gives each etcd member its own name and IP plus localhost, 127.0.0.1 and ::1, CN = member name', () => {
    const s = spec(base, 'etcd-peer@node01');
    expect(s.commonName).toBe('node01');
    expect(s.sans).toEqual({ dns: ['localhost', 'node01'], ips: ['127.0.0.1', '192.168.80.11', '::1'] });
    const inv = { ...base, hosts: [...base.hosts, aHost('etcd9', '192.168.80.99', ['etcd'], {})] };
    expect(spec(inv, 'etcd-server@etcd9').sans.ips).toContain('192.168.80.99');
  });

  it('describes SAN differences for decisions', () => {
    expect(sanDiff(resolveSans(['localhost', 'loopback.ipv4'], base), resolveSans(['loopback.ipv6', 'loopback.ipv4'], base))).toBe('+DNS localhost, -IP ::1');
  });
});
